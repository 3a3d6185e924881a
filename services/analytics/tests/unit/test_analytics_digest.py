"""The digest's day in plain Python: money in the day's one currency, the top campaigns without the
orders credited to no campaign, and nothing converted."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from adly_analytics.domain.digest import TOP_CAMPAIGNS, Digest
from adly_analytics.domain.figures import Amounts, Figures, Totals
from adly_events.contracts.common import Money

from .builders import WORKSPACE

DAY = date(2026, 12, 5)


def figures(spend: str = "0", revenue: str = "0", *, orders: int = 0, spend_in: str = "SAR",
            revenue_in: str = "SAR") -> Figures:
    return Figures(Totals(impressions=1000, clicks=40, spend=Amounts.of(Money(amount=Decimal(spend), currency=spend_in)),
                          orders=orders, revenue=Amounts.of(Money(amount=Decimal(revenue), currency=revenue_in))))


def test_a_day_in_one_currency_tells_its_spend_revenue_and_roas_in_it() -> None:
    d = Digest.of(WORKSPACE, DAY, figures("100", "369", orders=3), [])
    assert (d.currency, d.spend, d.revenue, d.orders, d.roas) == ("SAR", Decimal(100), Decimal(369), 3, Decimal("3.69"))


def test_a_day_with_nothing_is_zeros_in_no_currency() -> None:
    d = Digest.of(WORKSPACE, DAY, Figures(Totals()), [])
    assert (d.currency, d.spend, d.revenue, d.orders, d.roas, d.campaigns) == (None, 0, 0, 0, None, ())


def test_spend_in_one_currency_and_revenue_in_another_are_not_converted_but_left_out() -> None:
    d = Digest.of(WORKSPACE, DAY, figures("100", "50", orders=1, revenue_in="USD"), [])
    assert (d.currency, d.spend, d.revenue, d.roas) == (None, None, None, None)


def test_the_top_campaigns_leave_out_the_orders_credited_to_no_campaign_and_stop_at_five() -> None:
    ranked = [uuid.uuid4() for _ in range(TOP_CAMPAIGNS + 2)]
    groups = [(ranked[0], figures("10", "90", orders=2)), (None, figures(revenue="70", orders=1)),
              *[(c, figures(str(100 - n))) for n, c in enumerate(ranked[1:])]]
    d = Digest.of(WORKSPACE, DAY, figures("500", "160", orders=3), groups)
    assert [line.campaign_id for line in d.campaigns] == ranked[:TOP_CAMPAIGNS]
    assert (d.campaigns[0].spend, d.campaigns[0].revenue, d.campaigns[0].roas) == (10, 90, 9)
    assert all(line.name is None for line in d.campaigns)


def test_a_campaign_in_another_currency_than_the_day_has_no_amounts() -> None:
    d = Digest.of(WORKSPACE, DAY, figures("100"), [(uuid.uuid4(), figures("5", spend_in="USD", revenue_in="USD"))])
    assert (d.currency, d.campaigns[0].spend, d.campaigns[0].revenue) == ("SAR", None, 0)
