"""Budgets in each platform's unit: what a merchant sets is what the platform is told, or less."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adly_campaigns.domain.money import (
    UnsupportedCurrency,
    budget_units,
    from_platform_units,
    meta_offset,
    to_platform_units,
)
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.errors import InvalidInput

META, TIKTOK, SNAPCHAT, GOOGLE = AdPlatform.META, AdPlatform.TIKTOK, AdPlatform.SNAPCHAT, AdPlatform.GOOGLE_ADS


def money(amount: str, currency: str) -> Money:
    return Money(amount=Decimal(amount), currency=currency)


@pytest.mark.parametrize("currency", ["SAR", "AED", "QAR", "EGP", "USD", "EUR"])
def test_a_meta_budget_in_a_gulf_or_common_currency_is_sent_in_hundredths(currency):
    converted = to_platform_units(META, money("150.75", currency))
    assert (converted.units, converted.rounded) == (15075, False)
    assert converted.expressed == money("150.75", currency)


@pytest.mark.parametrize("currency", ["JPY", "KRW", "TWD", "CLP", "COP", "CRC", "HUF", "ISK", "IDR", "PYG", "VND"])
def test_a_meta_budget_in_a_whole_unit_currency_is_sent_in_whole_units(currency):
    assert to_platform_units(META, money("5000", currency)).units == 5000


def test_a_fraction_meta_cannot_express_in_a_whole_unit_currency_is_dropped_and_reported():
    converted = to_platform_units(META, money("20000.50", "COP"))
    assert (converted.units, converted.rounded) == (20000, True)
    assert converted.expressed.amount == Decimal("20000.00")


@pytest.mark.parametrize("currency", ["BHD", "JOD"])
def test_a_three_decimal_budget_on_meta_is_rounded_down_never_up(currency):
    converted = to_platform_units(META, money("12.349", currency))
    assert (converted.units, converted.rounded) == (1234, True)
    assert converted.expressed == money("12.340", currency)


def test_a_three_decimal_budget_that_meta_can_express_is_not_reported_as_rounded():
    converted = to_platform_units(META, money("12.340", "BHD"))
    assert (converted.units, converted.rounded) == (1234, False)


@pytest.mark.parametrize("currency", ["KWD", "OMR"])
def test_meta_refuses_a_currency_no_meta_ad_account_bills_in(currency):
    assert meta_offset(currency) is None
    with pytest.raises(UnsupportedCurrency) as refused:
        to_platform_units(META, money("10", currency))
    assert refused.value.field == "currency"


def test_snapchat_and_google_take_micros_so_three_decimals_survive():
    for platform in (SNAPCHAT, GOOGLE):
        converted = to_platform_units(platform, money("12.345", "KWD"))
        assert (converted.units, converted.rounded) == (12_345_000, False)
        assert converted.expressed == money("12.345", "KWD")


def test_micros_beyond_the_sixth_decimal_are_dropped():
    converted = to_platform_units(GOOGLE, money("1.0000009", "USD"))
    assert (converted.units, converted.rounded) == (1_000_000, True)


def test_tiktok_gets_major_units_with_at_most_two_decimals():
    converted = to_platform_units(TIKTOK, money("49.905", "KWD"))
    assert converted.rounded and converted.expressed.amount == Decimal("49.90")
    assert to_platform_units(TIKTOK, money("5000", "JPY")).units == 5000


def test_a_negative_budget_is_refused():
    with pytest.raises(InvalidInput):
        to_platform_units(META, money("-1", "SAR"))


def test_platform_units_read_back_as_the_amount_the_merchant_set():
    assert from_platform_units(META, 15075, "SAR") == money("150.75", "SAR")
    assert from_platform_units(META, 5000, "JPY").amount == Decimal("5000")
    assert from_platform_units(SNAPCHAT, 49_900_000, "AED").amount == Decimal("49.90")
    assert from_platform_units(GOOGLE, 12_345_000, "KWD").amount == Decimal("12.345")
    assert from_platform_units(GOOGLE, 1_234_567, "USD").amount == Decimal("1.234567")


@pytest.mark.parametrize("platform", [META, TIKTOK, SNAPCHAT, GOOGLE])
def test_what_a_platform_is_sent_reads_back_as_what_it_was_told_it_would_get(platform):
    converted = to_platform_units(platform, money("73.219", "BHD"))
    assert from_platform_units(platform, converted.units, "BHD") == converted.expressed
    assert converted.expressed.amount <= Decimal("73.219")


@pytest.mark.parametrize(("platform", "account"), [(META, "Meta ad account"), (TIKTOK, "TikTok ad account"),
                                                   (SNAPCHAT, "Snapchat ad account"), (GOOGLE, "Google Ads account")])
def test_a_budget_in_another_currency_than_the_ad_accounts_is_refused_naming_the_platform(platform, account):
    with pytest.raises(InvalidInput) as refused:
        budget_units(platform, money("150", "USD"), "SAR")
    assert refused.value.field == "budget.amount"
    assert str(refused.value) == f"This {account} spends in SAR; set the budget in SAR, not USD."


@pytest.mark.parametrize(("platform", "name", "amount"), [(META, "Meta", "0.009"), (TIKTOK, "TikTok", "0.001"),
                                                          (SNAPCHAT, "Snapchat", "0"), (GOOGLE, "Google Ads", "0.0099")])
def test_a_budget_with_nothing_left_in_the_platforms_unit_is_refused(platform, name, amount):
    with pytest.raises(InvalidInput) as refused:
        budget_units(platform, money(amount, "SAR"), "SAR", step=10_000 if platform is GOOGLE else 1)
    assert (str(refused.value), refused.value.field) == (f"The budget is too small for {name}.", "budget.amount")


def test_a_google_budget_is_rounded_down_to_its_billable_unit_and_says_so():
    converted = budget_units(GOOGLE, money("150.456", "SAR"), "SAR", step=10_000)
    assert (converted.units, converted.rounded, converted.expressed) == (150_450_000, True, money("150.45", "SAR"))
    assert budget_units(GOOGLE, money("150.45", "SAR"), "SAR", step=10_000).rounded is False
