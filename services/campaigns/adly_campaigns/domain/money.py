"""A budget in each ad platform's own unit, and back (INTEGRATIONS §0 'Money units').

ADLY carries money as `Money` in major units (a Decimal and an ISO 4217 code). Each platform
wants its own integer unit:

- Meta: the currency's minor unit by Meta's own **offset** table
  (developers.facebook.com/docs/marketing-api/currencies, revision of 2024-04-16, read with
  the `search` tool): 100 for most currencies (SAR, AED, QAR, EGP, USD, EUR...) and also for
  BHD and JOD although they have three decimals; 1 for CLP, COP, CRC, HUF, IDR, ISK, JPY,
  KRW, PYG, TWD, VND. KWD and OMR are not in the table: no Meta ad account bills in them, so
  a Meta budget in KWD or OMR is refused (`UnsupportedCurrency`) instead of guessed.
- Snapchat and Google Ads: micros (1 major unit = 1,000,000) in every currency.
- TikTok: a number in major units. ADLY sends at most two decimals (fewer where the currency
  has fewer), so `units` counts hundredths there and the TikTok client sends
  `expressed.amount` (UNVERIFIED whether TikTok takes three decimals for KWD/BHD/OMR).

An amount the unit cannot express (12.345 BHD on Meta: 1234 units) is rounded **down**, so
ADLY never spends more than the merchant set, and `Converted.rounded` says it happened so
the merchant can be told what the platform will really use (`expressed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from adly_campaigns.domain.platform_rules import NAMES
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.errors import InvalidInput

MICROS = 1_000_000

# ISO 4217 minor units, where they are not 2.
THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
NO_DECIMALS = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
                         "VUV", "XAF", "XOF", "XPF"})

# Meta's offset table (see the module docstring), as published.
META_WHOLE_UNITS = frozenset({"CLP", "COP", "CRC", "HUF", "IDR", "ISK", "JPY", "KRW", "PYG", "TWD", "VND"})
META_HUNDREDTHS = frozenset({
    "AED", "ARS", "AUD", "BDT", "BGN", "BHD", "BOB", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "DZD", "EGP", "EUR",
    "GBP", "GTQ", "HKD", "HNL", "HRK", "ILS", "INR", "JOD", "KES", "LTL", "LVL", "MOP", "MXN", "MYR", "NGN", "NIO",
    "NOK", "NZD", "PEN", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SEK", "SGD", "SKK", "THB", "TRY",
    "UAH", "USD", "UYU", "VEF", "VES", "ZAR",
})


class UnsupportedCurrency(InvalidInput):
    code = "unsupported-currency"


@dataclass(frozen=True)
class Converted:
    units: int          # what the platform's API is sent
    rounded: bool       # the amount had more precision than the unit: it was rounded down
    expressed: Money    # what `units` means, in major units: what the merchant will really get


def iso_decimals(currency: str) -> int:
    if currency in THREE_DECIMALS:
        return 3
    return 0 if currency in NO_DECIMALS else 2


def meta_offset(currency: str) -> int | None:
    """Meta's offset for an ad account in `currency`; None where Meta has no such accounts."""
    if currency in META_WHOLE_UNITS:
        return 1
    return 100 if currency in META_HUNDREDTHS else None


def units_per_major(platform: AdPlatform, currency: str) -> int:
    if platform is AdPlatform.META:
        offset = meta_offset(currency)
        if offset is None:
            raise UnsupportedCurrency(f"Meta ad accounts do not bill in {currency}; choose the ad account's own currency.",
                                      field="currency")
        return offset
    if platform is AdPlatform.TIKTOK:
        return (1, 10, 100)[min(iso_decimals(currency), 2)]
    return MICROS


def to_platform_units(platform: AdPlatform, money: Money) -> Converted:
    if money.amount < 0:
        raise InvalidInput("A budget cannot be negative.", field="amount")
    scale = units_per_major(platform, money.currency)
    exact = money.amount * scale
    units = int(exact.to_integral_value(rounding=ROUND_DOWN))
    expressed = Money(amount=_tidy(Decimal(units) / scale, scale, money.currency), currency=money.currency)
    return Converted(units=units, rounded=exact != units, expressed=expressed)


def budget_units(platform: AdPlatform, amount: Money, account_currency: str, *, step: int = 1) -> Converted:
    """A budget in the platform's unit for an ad account that spends in `account_currency`,
    rounded down to a multiple of `step` units. Refused (`InvalidInput` on `budget.amount`) in
    another currency or when nothing of it is left in the unit; `to_platform_units`' own
    refusals (a negative amount, a currency the platform has no accounts in) pass through."""
    if amount.currency != account_currency:
        account = "Google Ads account" if platform is AdPlatform.GOOGLE_ADS else f"{NAMES[platform]} ad account"
        raise InvalidInput(f"This {account} spends in {account_currency}; set the budget in {account_currency}, "
                           f"not {amount.currency}.", field="budget.amount")
    converted = to_platform_units(platform, amount)
    units = converted.units - converted.units % step
    if units <= 0:
        raise InvalidInput(f"The budget is too small for {NAMES[platform]}.", field="budget.amount")
    if units == converted.units:
        return converted
    return Converted(units=units, rounded=True, expressed=from_platform_units(platform, units, amount.currency))


def from_platform_units(platform: AdPlatform, units: int, currency: str) -> Money:
    scale = units_per_major(platform, currency)
    return Money(amount=_tidy(Decimal(units) / scale, scale, currency), currency=currency)


def _tidy(amount: Decimal, scale: int, currency: str) -> Decimal:
    """The amount with the currency's usual decimals when that loses nothing (49.90, not
    49.900000), else with as many as the unit has."""
    usual = amount.quantize(Decimal(1).scaleb(-iso_decimals(currency)))
    if usual == amount:
        return usual
    return amount.quantize(Decimal(1).scaleb(-(len(str(scale)) - 1)))
