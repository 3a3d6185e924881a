"""Attribution of store orders to ADLY's ads, rule by rule (docs/analytics-attribution.md)."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from adly_analytics.domain.attribution import (
    UNATTRIBUTED,
    Adjustment,
    Attribution,
    Campaigns,
    Credit,
    Level,
    OrderRecord,
    OrderSeen,
    Publication,
    Reason,
    Recorded,
    decide,
    record_order,
    redecide,
)
from adly_analytics.domain.touches import Signal
from adly_events.contracts.catalog import (
    CatalogOrder,
    OrderAttribution,
    OrderLine,
    OrderStatus,
    UtmParameters,
    Visit,
)
from adly_events.contracts.common import AdPlatform, Money

WORKSPACE = UUID("0b6f3a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
ORDER = UUID("7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
CAMPAIGN = UUID("3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b")          # base32 h4vyyhs5jjhg7gt3bqos4p2klm
AD = UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")                # base32 tkfxy3k6j5fdxdbndyhzvc34nu
OTHER_AD = UUID("5b1e0c52-7f0e-4d2a-9c4b-6a8d3e2f1b09")          # base32 lmpayut7bzgsvhclnkgt4ly3be
TIKTOK_CAMPAIGN = UUID("11111111-2222-4333-8444-555555555555")
STRANGER = UUID("99999999-8888-4777-8666-555555555555")
PLACED = datetime(2026, 6, 28, 12, 0, tzinfo=UTC)

# campaigns' tagged_url for "Eid Sale 2026" on Meta (docs/campaigns-tracking.md), as Shopify keeps it
TAGGED = ("/products/eid-abaya?variant=42&utm_source=facebook&utm_medium=paid_social"
          "&utm_campaign=eid-sale-2026_adly-h4vyyhs5jjhg7gt3bqos4p2klm&utm_content=adly-tkfxy3k6j5fdxdbndyhzvc34nu"
          "&utm_id=3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b&adly_c=3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b"
          "&adly_a=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d&fbclid=IwAR0abc")
TAGGED_OTHER = ("/products/eid-abaya?utm_source=facebook&utm_campaign=eid_adly-h4vyyhs5jjhg7gt3bqos4p2klm"
                "&utm_content=adly-lmpayut7bzgsvhclnkgt4ly3be&adly_c=3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b"
                "&adly_a=5b1e0c52-7f0e-4d2a-9c4b-6a8d3e2f1b09")


def days(first: date, last: date) -> frozenset[date]:
    return frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))


JUNE = days(date(2026, 6, 1), date(2026, 6, 30))
META_LIVE = Publication(CAMPAIGN, AdPlatform.META, {AD: "ad-set-1", OTHER_AD: "ad-set-2"}, JUNE)
CAMPAIGNS = Campaigns(owned=frozenset({CAMPAIGN}), published=(META_LIVE,))


def sar(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="SAR")


def order(attribution: OrderAttribution | None = None, *, total: str = "200.00", currency: str = "SAR",
          status: OrderStatus = OrderStatus.PAID, placed_at: datetime = PLACED,
          updated_at: datetime | None = None, lines: list[OrderLine] | None = None) -> CatalogOrder:
    return CatalogOrder(external_id="1001", status=status, platform_status=status.value, currency=currency,
                        total=Money(amount=Decimal(total), currency=currency), placed_at=placed_at,
                        updated_at=updated_at, attribution=attribution or OrderAttribution(), lines=lines or [])


def visit(landing: str | None = None, at: datetime | None = None, referrer: str | None = None,
          utm: UtmParameters | None = None) -> Visit:
    return Visit(landing_page=landing, occurred_at=at, referrer=referrer, utm=utm or UtmParameters())


def seen(o: CatalogOrder, version: int = 1, received_at: datetime | None = None) -> OrderSeen:
    return OrderSeen(WORKSPACE, ORDER, version, o, received_at or o.updated_at or o.placed_at)


def first(o: CatalogOrder, campaigns: Campaigns = CAMPAIGNS, **options: object) -> Attribution:
    recorded = record_order(None, seen(o), campaigns, **options)  # type: ignore[arg-type]
    (entry,) = recorded.entries
    assert isinstance(entry, Attribution)
    return entry


def then(previous: Recorded, o: CatalogOrder, version: int, **options: object) -> Recorded:
    return record_order(previous.record, seen(o, version), CAMPAIGNS, **options)  # type: ignore[arg-type]


AD_CREDIT = Credit(Level.AD, AdPlatform.META, CAMPAIGN, "ad-set-1", AD)


# -- touches: what each signal credits -------------------------------------------------------------

def test_an_order_whose_landing_url_carries_adly_ids_is_credited_to_that_ad() -> None:
    attribution = first(order(OrderAttribution(landing_site=TAGGED)))
    assert attribution.credit == AD_CREDIT
    assert attribution.touch is not None and attribution.touch.signal == Signal.ADLY_IDS
    assert (attribution.revenue, attribution.orders, attribution.day) == (sar("200.00"), 1, date(2026, 6, 28))


def test_an_order_whose_utm_values_alone_name_an_adly_ad_is_credited_to_that_ad() -> None:
    utm = UtmParameters(source="FACEBOOK", campaign="EID-SALE-2026_ADLY-H4VYYHS5JJHG7GT3BQOS4P2KLM",
                        content="adly_tkfxy3k6j5fdxdbndyhzvc34nu")
    attribution = first(order(OrderAttribution(utm=utm)))
    assert attribution.credit == AD_CREDIT
    assert attribution.touch is not None and attribution.touch.signal == Signal.UTM


def test_utm_id_names_the_campaign_when_utm_campaign_carries_no_id() -> None:
    landing = "/?utm_source=facebook&utm_campaign=eid&utm_id=3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b"
    assert first(order(OrderAttribution(landing_site=landing))).credit == Credit(
        Level.CAMPAIGN, AdPlatform.META, CAMPAIGN)


@pytest.mark.parametrize("landing", [
    "https://abayas.sa" + TAGGED,
    TAGGED.replace("&", "&amp;"),
    "%2Fproducts%2Feid-abaya%3Fadly_c%3D3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b%26adly_a%3D9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "/#/products/x?ADLY_C=3F2B8C1E-5D4A-4E6F-9A7B-0C1D2E3F4A5B&adly_a=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
])
def test_a_landing_site_written_any_way_a_store_keeps_it_still_names_the_ad(landing: str) -> None:
    assert first(order(OrderAttribution(landing_site=landing))).credit == AD_CREDIT


def test_at_the_same_time_adly_ids_win_over_utm_values_naming_another_ad() -> None:
    utm = UtmParameters(source="facebook", campaign="x_adly-h4vyyhs5jjhg7gt3bqos4p2klm",
                        content="adly-lmpayut7bzgsvhclnkgt4ly3be")
    landing = "/p?adly_c=3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b&adly_a=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    assert first(order(OrderAttribution(landing_site=landing, utm=utm))).credit.ad_id == AD


def test_a_tagged_visit_wins_over_the_social_referrer_of_the_same_visit() -> None:
    attribution = first(order(OrderAttribution(landing_site=TAGGED, referrer="https://l.facebook.com/")))
    assert attribution.credit == AD_CREDIT


def test_ids_of_a_campaign_the_workspace_does_not_own_credit_nothing() -> None:
    landing = f"/p?adly_c={STRANGER}&adly_a={AD}"
    attribution = first(order(OrderAttribution(landing_site=landing)))
    assert attribution.credit == UNATTRIBUTED and attribution.orders == 1


def test_an_ad_the_campaign_never_published_credits_the_campaign_only() -> None:
    landing = f"/p?adly_c={CAMPAIGN}&adly_a={STRANGER}"
    assert first(order(OrderAttribution(landing_site=landing))).credit == Credit(
        Level.CAMPAIGN, AdPlatform.META, CAMPAIGN)


def test_an_ad_of_a_campaign_published_before_ad_ids_were_kept_is_still_credited_to_the_ad() -> None:
    campaigns = Campaigns(published=(Publication(CAMPAIGN, AdPlatform.META, {}, JUNE),))
    assert first(order(OrderAttribution(landing_site=TAGGED)), campaigns).credit == Credit(
        Level.AD, AdPlatform.META, CAMPAIGN, None, AD)


# -- click ids: a platform, not an ad ---------------------------------------------------------------

@pytest.mark.parametrize(("name", "platform"), [
    ("fbclid", AdPlatform.META), ("ttclid", AdPlatform.TIKTOK), ("gclid", AdPlatform.GOOGLE_ADS),
    ("gbraid", AdPlatform.GOOGLE_ADS), ("wbraid", AdPlatform.GOOGLE_ADS), ("ScCid", AdPlatform.SNAPCHAT),
])
def test_a_click_id_alone_names_its_platform(name: str, platform: AdPlatform) -> None:
    attribution = first(order(OrderAttribution(click_ids={name: "abc123"})), Campaigns())
    assert attribution.credit == Credit(Level.PLATFORM, platform)
    assert attribution.touch is not None and attribution.touch.signal == Signal.CLICK_ID


def test_a_click_id_alone_credits_the_one_campaign_delivering_on_that_platform_in_the_window() -> None:
    tiktok = Publication(TIKTOK_CAMPAIGN, AdPlatform.TIKTOK, {}, JUNE)
    campaigns = Campaigns(published=(META_LIVE, tiktok))
    assert first(order(OrderAttribution(click_ids={"fbclid": "x"})), campaigns).credit == Credit(
        Level.CAMPAIGN, AdPlatform.META, CAMPAIGN)


def test_a_click_id_alone_is_platform_only_when_two_campaigns_were_delivering_on_that_platform() -> None:
    second = Publication(TIKTOK_CAMPAIGN, AdPlatform.META, {}, JUNE)
    campaigns = Campaigns(published=(META_LIVE, second))
    assert first(order(OrderAttribution(click_ids={"fbclid": "x"})), campaigns).credit == Credit(
        Level.PLATFORM, AdPlatform.META)


def test_a_click_id_alone_is_platform_only_when_no_campaign_delivered_in_the_window() -> None:
    may = Publication(CAMPAIGN, AdPlatform.META, {}, days(date(2026, 5, 1), date(2026, 6, 20)))
    assert first(order(OrderAttribution(click_ids={"fbclid": "x"})), Campaigns(published=(may,))).credit == Credit(
        Level.PLATFORM, AdPlatform.META)


# -- decided again: an order read before what names its campaign --------------------------------

NOT_YET_DELIVERING = Campaigns(published=(Publication(CAMPAIGN, AdPlatform.META, {}, frozenset()),))


def test_a_click_id_credited_to_its_platform_moves_to_the_campaign_later_performance_shows_delivering() -> None:
    clicked = order(OrderAttribution(click_ids={"fbclid": "x"}))
    before = record_order(None, seen(clicked), NOT_YET_DELIVERING)
    assert before.record.credit == Credit(Level.PLATFORM, AdPlatform.META)
    delivering = Campaigns(published=(Publication(CAMPAIGN, AdPlatform.META, {}, JUNE),))
    after = redecide(before.record, clicked, delivering)
    assert after.record.credit == Credit(Level.CAMPAIGN, AdPlatform.META, CAMPAIGN)
    gone, moved = after.entries
    assert isinstance(gone, Adjustment) and (gone.credit, gone.reason) == (before.record.credit, Reason.MOVED)
    assert (gone.amount, gone.orders) == (sar("-200.00"), -1)
    assert isinstance(moved, Attribution) and (moved.credit, moved.revenue, moved.orders) == (
        after.record.credit, sar("200.00"), 1)
    assert moved.day == gone.day == PLACED.date()


def test_only_a_platform_credit_from_a_click_id_waits_for_that_platforms_delivery() -> None:
    def recorded(signals: OrderAttribution, campaigns: Campaigns) -> OrderRecord:
        return record_order(None, seen(order(signals)), campaigns).record

    assert recorded(OrderAttribution(click_ids={"ttclid": "x"}), NOT_YET_DELIVERING).awaiting_delivery == AdPlatform.TIKTOK
    referred = OrderAttribution(landing_site="/", referrer="https://l.instagram.com/")
    assert recorded(referred, NOT_YET_DELIVERING).credit.level == Level.PLATFORM
    assert recorded(referred, NOT_YET_DELIVERING).awaiting_delivery is None  # a referrer never names a campaign
    assert recorded(OrderAttribution(click_ids={"fbclid": "x"}), Campaigns(published=(META_LIVE,))).awaiting_delivery is None
    assert recorded(OrderAttribution(), NOT_YET_DELIVERING).awaiting_delivery is None


def test_a_click_id_stays_with_its_platform_when_the_news_shows_two_campaigns_delivering_there() -> None:
    clicked = order(OrderAttribution(click_ids={"fbclid": "x"}))
    before = record_order(None, seen(clicked), NOT_YET_DELIVERING)
    both = Campaigns(published=(Publication(CAMPAIGN, AdPlatform.META, {}, JUNE),
                                Publication(TIKTOK_CAMPAIGN, AdPlatform.META, {}, JUNE)))
    assert redecide(before.record, clicked, both) == Recorded(before.record, ())


def test_a_campaign_once_credited_is_never_taken_back_by_news_of_another() -> None:
    clicked = order(OrderAttribution(click_ids={"fbclid": "x"}))
    credited = record_order(None, seen(clicked), Campaigns(published=(META_LIVE,)))
    assert credited.record.credit.campaign_id == CAMPAIGN
    both = Campaigns(published=(META_LIVE, Publication(TIKTOK_CAMPAIGN, AdPlatform.META, {}, JUNE)))
    assert redecide(credited.record, clicked, both) == Recorded(credited.record, ())


def test_an_order_read_before_its_campaign_moves_from_the_platform_to_the_ad_its_tags_name() -> None:
    tagged = order(OrderAttribution(landing_site=TAGGED))
    before = record_order(None, seen(tagged), Campaigns())
    assert before.record.credit == Credit(Level.PLATFORM, AdPlatform.META)  # its fbclid, until the ids are known
    after = redecide(before.record, tagged, CAMPAIGNS)
    assert after.record.credit == Credit(Level.AD, AdPlatform.META, CAMPAIGN, "ad-set-1", AD)
    assert redecide(after.record, tagged, CAMPAIGNS) == Recorded(after.record, ())  # and only once


def test_a_click_id_seen_in_an_old_first_visit_is_dated_by_that_visit_not_by_the_order() -> None:
    # Shopify merges both visits' click ids into the order's; the fbclid was in a visit ten days ago
    old = visit("/?fbclid=IwAR0old", PLACED - timedelta(days=10))
    last = visit("/", PLACED - timedelta(hours=1), referrer="https://www.google.com/")
    signals = OrderAttribution(landing_site="/", click_ids={"fbclid": "IwAR0old"}, first_visit=old, last_visit=last,
                               referrer="https://www.google.com/")
    assert first(order(signals)).credit == UNATTRIBUTED


# -- referrers: the weakest hint ------------------------------------------------------------------

@pytest.mark.parametrize(("referrer", "platform"), [
    ("https://l.facebook.com/l.php?u=x", AdPlatform.META), ("https://www.instagram.com/", AdPlatform.META),
    ("m.facebook.com", AdPlatform.META), ("https://www.tiktok.com/", AdPlatform.TIKTOK),
    ("https://www.snapchat.com/", AdPlatform.SNAPCHAT),
])
def test_a_social_referrer_alone_credits_its_platform_only(referrer: str, platform: AdPlatform) -> None:
    assert first(order(OrderAttribution(referrer=referrer))).credit == Credit(Level.PLATFORM, platform)


@pytest.mark.parametrize("referrer", ["https://www.google.com/", "https://www.google.com.sa/search?q=abaya",
                                      "https://notfacebook.com/", "https://example.com/?ref=facebook.com"])
def test_a_google_or_unrelated_referrer_alone_credits_nothing(referrer: str) -> None:
    assert first(order(OrderAttribution(referrer=referrer))).credit == UNATTRIBUTED


# -- last click within the window -------------------------------------------------------------------

def journey(first_visit: Visit | None, last_visit: Visit | None = None) -> OrderAttribution:
    return OrderAttribution(first_visit=first_visit, last_visit=last_visit)


def test_of_two_ads_clicked_the_later_click_wins() -> None:
    signals = journey(visit(TAGGED_OTHER, PLACED - timedelta(days=3)), visit(TAGGED, PLACED - timedelta(hours=1)))
    assert first(order(signals)).credit == AD_CREDIT
    signals = journey(visit(TAGGED, PLACED - timedelta(days=3)), visit(TAGGED_OTHER, PLACED - timedelta(hours=1)))
    assert first(order(signals)).credit == Credit(Level.AD, AdPlatform.META, CAMPAIGN, "ad-set-2", OTHER_AD)


def test_a_direct_last_visit_leaves_the_credit_with_the_earlier_ad_click() -> None:
    signals = journey(visit(TAGGED, PLACED - timedelta(days=2)), visit("/", PLACED - timedelta(minutes=5)))
    attribution = first(order(signals))
    assert attribution.credit == AD_CREDIT
    assert attribution.touch is not None and attribution.touch.at == PLACED - timedelta(days=2)


def test_a_later_social_referrer_wins_over_an_earlier_ad_click_as_platform_only() -> None:
    signals = journey(visit(TAGGED, PLACED - timedelta(days=2)),
                      visit("/", PLACED - timedelta(hours=1), referrer="https://www.tiktok.com/"))
    assert first(order(signals)).credit == Credit(Level.PLATFORM, AdPlatform.TIKTOK)


def test_a_click_exactly_seven_days_before_the_order_counts() -> None:
    signals = journey(visit(TAGGED, PLACED - timedelta(days=7)))
    assert first(order(signals)).credit == AD_CREDIT


def test_a_click_seven_days_and_one_second_before_the_order_does_not_count() -> None:
    signals = journey(visit(TAGGED, PLACED - timedelta(days=7, seconds=1)))
    attribution = first(order(signals))
    assert attribution.credit == UNATTRIBUTED and attribution.touch is None and attribution.orders == 1


def test_an_order_one_second_after_the_click_is_credited_to_it() -> None:
    signals = journey(visit(TAGGED, PLACED - timedelta(seconds=1)))
    assert first(order(signals)).credit == AD_CREDIT


def test_a_visit_after_the_order_does_not_count() -> None:
    signals = journey(visit(TAGGED, PLACED - timedelta(days=1)), visit(TAGGED_OTHER, PLACED + timedelta(seconds=1)))
    assert first(order(signals)).credit == AD_CREDIT


def test_the_click_window_is_configurable() -> None:
    signals = journey(visit(TAGGED, PLACED - timedelta(days=2)))
    assert first(order(signals), window=timedelta(days=1)).credit == UNATTRIBUTED
    assert first(order(signals), window=timedelta(days=28)).credit == AD_CREDIT


def test_a_shopify_first_visit_without_a_time_is_dated_by_days_to_conversion() -> None:
    inside = OrderAttribution(first_visit=visit(TAGGED), days_to_conversion=6)
    outside = OrderAttribution(first_visit=visit(TAGGED), days_to_conversion=8)
    assert first(order(inside)).credit == AD_CREDIT
    assert first(order(outside)).credit == UNATTRIBUTED


def test_the_orders_own_landing_site_is_dated_by_the_visit_that_shows_it() -> None:
    # Shopify: landing site is the first visit's when the last was direct; that visit was 9 days ago
    signals = OrderAttribution(landing_site=TAGGED, first_visit=visit(TAGGED, PLACED - timedelta(days=9)),
                               last_visit=visit("/", PLACED - timedelta(hours=2)))
    assert first(order(signals)).credit == UNATTRIBUTED


def test_a_woocommerce_session_entry_with_adly_ids_is_credited_to_that_ad() -> None:
    # Woo's order-attribution meta as the catalog carries it: session entry, source type, utm, referrer
    entry = "https://abayas.sa" + TAGGED
    utm = UtmParameters(source="facebook", medium="paid_social", campaign="eid-sale-2026_adly-h4vyyhs5jjhg7gt3bqos4p2klm",
                        content="adly-tkfxy3k6j5fdxdbndyhzvc34nu")
    signals = OrderAttribution(landing_site=entry, referrer="https://l.facebook.com/", source_name="utm", utm=utm,
                               click_ids={"fbclid": "IwAR0abc"},
                               last_visit=Visit(landing_page=entry, referrer="https://l.facebook.com/", utm=utm))
    attribution = first(order(signals))
    assert attribution.credit == AD_CREDIT and attribution.touch is not None
    assert attribution.touch.at == PLACED and attribution.touch.signal == Signal.ADLY_IDS


def test_a_woocommerce_typein_order_is_unattributed() -> None:
    signals = OrderAttribution(source_name="typein", last_visit=Visit(landing_page="https://abayas.sa/"))
    assert first(order(signals)).credit == UNATTRIBUTED


def test_an_order_with_no_signal_is_counted_as_unattributed_not_dropped() -> None:
    attribution = first(order())
    assert (attribution.credit, attribution.touch, attribution.orders, attribution.revenue) == (
        UNATTRIBUTED, None, 1, sar("200.00"))


def test_attribution_is_deterministic() -> None:
    signals = journey(visit(TAGGED_OTHER, PLACED - timedelta(days=3)), visit(TAGGED, PLACED - timedelta(days=3)))
    assert decide(order(signals), CAMPAIGNS) == decide(order(signals), CAMPAIGNS)
    credit, touch = decide(order(signals), CAMPAIGNS)
    assert touch is not None and touch.source == "last_visit" and credit == AD_CREDIT   # same time: read first


# -- money ----------------------------------------------------------------------------------------

def test_an_order_in_another_currency_than_the_ad_account_keeps_its_own_currency() -> None:
    attribution = first(order(OrderAttribution(landing_site=TAGGED), total="49.90", currency="USD"))
    assert attribution.credit == AD_CREDIT and attribution.revenue == Money(amount=Decimal("49.90"), currency="USD")


def test_revenue_is_spread_over_products_by_line_totals_and_adds_up_exactly() -> None:
    lines = [OrderLine(product_external_id=p, quantity=1, unit_price=sar("10"), total=sar("10.00"))
             for p in ("a", "b", "c")]
    attribution = first(order(total="100.00", lines=lines))
    amounts = {p.product: p.amount.amount for p in attribution.products}
    assert sum(amounts.values()) == Decimal("100.00")
    assert sorted(amounts.values()) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


# -- refunds and cancellations ----------------------------------------------------------------------

def placed(**changes: object) -> Recorded:
    return record_order(None, seen(order(OrderAttribution(landing_site=TAGGED), **changes)), CAMPAIGNS)  # type: ignore[arg-type]


def updated(status: OrderStatus, total: str, at: datetime, **changes: object) -> CatalogOrder:
    return order(OrderAttribution(landing_site=TAGGED), status=status, total=total, updated_at=at, **changes)  # type: ignore[arg-type]


def test_a_refund_in_the_next_month_reduces_revenue_on_the_refunds_day_for_the_same_ad() -> None:
    refunded_at = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)
    (adjustment,) = then(placed(), updated(OrderStatus.REFUNDED, "200.00", refunded_at), 2).entries
    assert adjustment == Adjustment(ORDER, WORKSPACE, AD_CREDIT, Reason.REFUND, sar("-200.00"), -1,
                                    date(2026, 7, 3))


def test_a_partial_refund_reduces_revenue_by_its_amount_and_the_order_still_counts() -> None:
    at = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    (adjustment,) = then(placed(), updated(OrderStatus.PARTIALLY_REFUNDED, "150.00", at), 2).entries
    assert isinstance(adjustment, Adjustment)
    assert (adjustment.reason, adjustment.amount, adjustment.orders, adjustment.credit) == (
        Reason.REFUND, sar("-50.00"), 0, AD_CREDIT)


def test_two_partial_refunds_each_reduce_by_their_own_amount() -> None:
    one = then(placed(), updated(OrderStatus.PARTIALLY_REFUNDED, "150.00", PLACED + timedelta(days=1)), 2)
    two = then(one, updated(OrderStatus.PARTIALLY_REFUNDED, "120.00", PLACED + timedelta(days=2)), 3)
    assert [e.amount for e in (*one.entries, *two.entries) if isinstance(e, Adjustment)] == [sar("-50.00"), sar("-30.00")]


def test_a_cancellation_takes_the_whole_order_back_and_it_no_longer_counts() -> None:
    at = PLACED + timedelta(hours=3)
    (adjustment,) = then(placed(), updated(OrderStatus.CANCELLED, "200.00", at), 2).entries
    assert isinstance(adjustment, Adjustment)
    assert (adjustment.reason, adjustment.amount, adjustment.orders) == (Reason.CANCELLATION, sar("-200.00"), -1)


def test_an_order_updated_twice_with_the_same_figures_changes_nothing() -> None:
    at = PLACED + timedelta(days=1)
    once = then(placed(), updated(OrderStatus.PARTIALLY_REFUNDED, "150.00", at), 2)
    replayed = then(placed(), updated(OrderStatus.PARTIALLY_REFUNDED, "150.00", at), 2)
    assert then(once, updated(OrderStatus.PARTIALLY_REFUNDED, "150.00", at), 2).entries == ()
    assert then(once, updated(OrderStatus.FULFILLED, "150.00", at + timedelta(days=1)), 3).entries == ()
    assert once == replayed


def test_an_older_version_arriving_late_changes_nothing() -> None:
    later = then(placed(), updated(OrderStatus.REFUNDED, "200.00", PLACED + timedelta(days=2)), 3)
    late = then(later, updated(OrderStatus.PARTIALLY_REFUNDED, "150.00", PLACED + timedelta(days=1)), 2)
    assert late.entries == () and late.record == later.record


def test_a_refund_without_an_update_time_falls_on_the_day_the_update_arrived() -> None:
    received = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    change = order(OrderAttribution(landing_site=TAGGED), status=OrderStatus.REFUNDED)
    (adjustment,) = record_order(placed().record, seen(change, 2, received), CAMPAIGNS).entries
    assert adjustment.day == date(2026, 7, 1)


def test_days_are_the_workspaces_days() -> None:
    riyadh = timezone(timedelta(hours=3))
    late_night = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)                  # 1 July, 01:30 in Riyadh
    start = record_order(None, seen(order(OrderAttribution(landing_site=TAGGED), placed_at=late_night)), CAMPAIGNS,
                         tz=riyadh)
    assert start.entries[0].day == date(2026, 7, 1)


def test_a_cancelled_order_restored_counts_again() -> None:
    cancelled = then(placed(), updated(OrderStatus.CANCELLED, "200.00", PLACED + timedelta(days=1)), 2)
    (restored,) = then(cancelled, updated(OrderStatus.PAID, "200.00", PLACED + timedelta(days=2)), 3).entries
    assert isinstance(restored, Adjustment)
    assert (restored.reason, restored.amount, restored.orders) == (Reason.CHANGE, sar("200.00"), 1)


def test_an_order_first_seen_already_cancelled_is_counted_as_no_sale() -> None:
    attribution = first(order(OrderAttribution(landing_site=TAGGED), status=OrderStatus.CANCELLED))
    assert (attribution.credit, attribution.orders, attribution.revenue) == (AD_CREDIT, 0, sar("0"))


def test_a_refund_is_spread_over_the_orders_products() -> None:
    lines = [OrderLine(product_external_id="a", quantity=1, unit_price=sar("150"), total=sar("150.00")),
             OrderLine(product_external_id="b", quantity=1, unit_price=sar("50"), total=sar("50.00"))]
    change = updated(OrderStatus.PARTIALLY_REFUNDED, "100.00", PLACED + timedelta(days=1), lines=lines)
    (adjustment,) = then(placed(lines=lines), change, 2).entries
    assert {p.product: p.amount for p in adjustment.products} == {"a": sar("-75.00"), "b": sar("-25.00")}


def test_a_journey_shopify_finishes_later_moves_the_sale_to_the_ad_it_names() -> None:
    pending = record_order(None, seen(order(OrderAttribution(journey_ready=False))), CAMPAIGNS)
    assert pending.entries[0].credit == UNATTRIBUTED
    ready = order(OrderAttribution(journey_ready=True, last_visit=visit(TAGGED, PLACED - timedelta(hours=1))),
                  updated_at=PLACED + timedelta(days=2))
    moved, credited = then(pending, ready, 2).entries
    assert moved == Adjustment(ORDER, WORKSPACE, UNATTRIBUTED, Reason.MOVED, sar("-200.00"), -1, PLACED.date())
    assert isinstance(credited, Attribution)
    assert (credited.credit, credited.revenue, credited.orders, credited.day) == (AD_CREDIT, sar("200.00"), 1,
                                                                                   PLACED.date())


def test_the_record_remembers_the_version_and_what_was_credited() -> None:
    record = placed().record
    assert isinstance(record, OrderRecord)
    assert (record.version, record.credit, record.net, record.counted) == (1, AD_CREDIT, sar("200.00"), True)
