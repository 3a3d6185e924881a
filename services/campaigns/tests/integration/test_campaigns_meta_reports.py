"""Meta's PerformanceReader against the local fake Meta over real HTTP on 127.0.0.1: the figures
exact to the unit, purchases counted once, pagination, async report runs, restated days and the
Insights API's throttles (no Postgres, no Kafka)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from adly_campaigns.adapters.meta import MetaGraph, MetaReports, MetaSettings
from adly_campaigns.adapters.meta.insights import Action
from adly_campaigns.adapters.meta.reports import InsightsGovernor, ReportTuning, purchase
from adly_campaigns.adapters.platforms import build_meta
from adly_campaigns.domain.ports import AccountAccess, ErrorKind, PerformanceRow, PlatformError
from adly_campaigns.settings import CampaignsSettings
from adly_events.contracts.campaigns import PerformanceLevel
from tests.fakes.meta import APP_ID, APP_SECRET, FakeMeta, graph_error

ZONE = "Asia/Riyadh"
NOW = datetime(2031, 3, 10, 15, 30, tzinfo=ZoneInfo(ZONE))   # 15:30 in the account's time zone
TODAY = NOW.date()
WEEK_AGO = TODAY - timedelta(days=6)


class Clock:
    """The reader's monotonic clock and sleep: a wait moves the clock, nothing really sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def fake():
    with FakeMeta() as server:
        server.insights.clock = NOW.timestamp
        yield server


@pytest.fixture
def account(fake):
    seeded = fake.seed_account(time_zone=ZONE)
    return AccountAccess(seeded.account_id, seeded.token, "SAR", ZONE)


@pytest.fixture
def campaigns(fake, account):
    return fake.insights.seed_delivery(account.platform_account_id, campaigns=2, ad_sets_per_campaign=1,
                                       ads_per_ad_set=3)


@pytest.fixture
def clock():
    return Clock()


def reader_for(fake: FakeMeta, clock: Clock, **tuning) -> MetaReports:
    settings = MetaSettings(app_id=APP_ID, app_secret=APP_SECRET, graph_url=fake.graph_url, timeout=5.0)
    graph = MetaGraph(settings, clock=clock, sleep=clock.sleep)
    return MetaReports(settings, graph=graph, tuning=ReportTuning(**tuning))


@pytest.fixture
async def reader(fake, clock):
    client = reader_for(fake, clock)
    yield client
    await client.graph.aclose()


def ads_of(fake: FakeMeta, account: AccountAccess) -> list[dict]:
    return fake.of_kind("ad", account.platform_account_id)


def truth(fake: FakeMeta, ads: list[dict], day: date, hour: int | None = None) -> tuple[int, ...]:
    """The fake's own figures summed over `ads`: impressions, reach, clicks, spend (halalas),
    purchases, purchase value (halalas), add-to-carts."""
    figures = [fake.insights.figures(ad["id"], day, ZONE, hour) for ad in ads]
    return tuple(sum(column) for column in zip(*figures, strict=True))


def by_key(rows: list[PerformanceRow]) -> dict[tuple, PerformanceRow]:
    keyed = {(r.level, r.platform_object_id, r.day, r.hour): r for r in rows}
    assert len(keyed) == len(rows), "a row reported twice"
    return keyed


def assert_matches(row: PerformanceRow, figures: tuple[int, ...]) -> None:
    impressions, _, clicks, spend, purchases, value, _ = figures
    assert (row.impressions, row.clicks) == (impressions, clicks)
    assert row.spend == Decimal(spend) / 100
    assert row.conversions == purchases
    assert row.conversion_value == Decimal(value) / 100


async def test_every_level_per_day_and_today_per_hour_exact_to_the_halala(fake, account, campaigns, reader):
    rows = await reader.performance(account, campaigns, WEEK_AGO, TODAY, hourly_day=TODAY)

    ads = ads_of(fake, account)
    keyed = by_key(rows)
    days = [WEEK_AGO + timedelta(days=i) for i in range(7)]
    assert {r.level for r in rows} == {PerformanceLevel.CAMPAIGN, PerformanceLevel.AD_SET, PerformanceLevel.AD}
    for ad in ads:
        for day in days:
            row = keyed[(PerformanceLevel.AD, ad["id"], day, None)]
            assert row.platform_campaign_id == ad["campaign_id"]
            assert_matches(row, truth(fake, [ad], day))
            assert row.reach == truth(fake, [ad], day)[1]
    for campaign_id in campaigns:
        members = [ad for ad in ads if ad["campaign_id"] == campaign_id]
        ad_set_id = members[0]["adset_id"]
        for day in days:
            assert_matches(keyed[(PerformanceLevel.CAMPAIGN, campaign_id, day, None)], truth(fake, members, day))
            assert_matches(keyed[(PerformanceLevel.AD_SET, ad_set_id, day, None)], truth(fake, members, day))
        hours = sorted(r.hour for r in rows if r.platform_object_id == campaign_id and r.hour is not None)
        assert hours == list(range(16)), "hours up to 15:30 today, none after"
        for hour in hours:
            assert_matches(keyed[(PerformanceLevel.CAMPAIGN, campaign_id, TODAY, hour)],
                           truth(fake, members, TODAY, hour))
        today = keyed[(PerformanceLevel.CAMPAIGN, campaign_id, TODAY, None)]
        assert today.impressions == sum(keyed[(PerformanceLevel.CAMPAIGN, campaign_id, TODAY, h)].impressions
                                        for h in hours)
    row = rows[0]
    assert isinstance(row.spend, Decimal) and isinstance(row.impressions, int) and isinstance(row.conversions, Decimal)


async def test_purchases_listed_under_four_action_types_count_once(fake, account, campaigns, reader):
    rows = await reader.performance(account, campaigns, WEEK_AGO, TODAY - timedelta(days=1))

    ads = {ad["id"]: ad for ad in ads_of(fake, account)}
    bought = [r for r in rows if r.level is PerformanceLevel.AD and r.conversions > 0]
    assert bought, "the seed has days with purchases"
    for row in bought:
        _, _, _, _, purchases, value, carts = truth(fake, [ads[row.platform_object_id]], row.day)
        assert row.conversions == purchases and row.conversions != 4 * purchases
        assert row.conversion_value == Decimal(value) / 100
    # what Meta sent for one of them: four purchase types, equal, among other actions
    seen = fake.insights.snapshots[max(fake.insights.snapshots)]
    listed = next(r for r in seen if any("purchase" in a["action_type"] and a["value"] != "0" for a in r["actions"]))
    purchase_values = {a["action_type"]: a["value"] for a in listed["actions"] if "purchase" in a["action_type"]}
    assert len(purchase_values) == 4 and len(set(purchase_values.values())) == 1


def test_one_purchase_type_by_precedence_never_a_sum():
    def listed(*pairs: tuple[str, str]) -> list[Action]:
        return [Action(kind, value) for kind, value in pairs]

    actions = listed(("link_click", "40"), ("offsite_conversion.fb_pixel_purchase", "3"),
                     ("omni_purchase", "4"),   # every channel: preferred
                     ("purchase", "3"))
    assert purchase(actions) == ("omni_purchase", Decimal(4))
    assert purchase(actions[:2]) == ("offsite_conversion.fb_pixel_purchase", Decimal(3))
    assert purchase(listed(("onsite_web_purchase", "2"), ("purchase", "2"))) == ("purchase", Decimal(2))
    assert purchase(listed(("link_click", "9"))) == (None, Decimal(0))
    values = listed(("purchase", "120.5"), ("omni_purchase", "130"))
    assert purchase(values, "purchase") == ("purchase", Decimal("120.5"))   # the value of the type counted


async def test_every_page_is_read_by_its_cursor(fake, account, campaigns, clock):
    whole = reader_for(fake, clock)
    paged = reader_for(fake, clock, page_size=7)
    try:
        expected = await whole.performance(account, campaigns, WEEK_AGO, TODAY, hourly_day=TODAY)
        fake.requests.clear()
        rows = await paged.performance(account, campaigns, WEEK_AGO, TODAY, hourly_day=TODAY)
    finally:
        await whole.graph.aclose()
        await paged.graph.aclose()

    assert by_key(rows) == by_key(expected)
    pages = [s for s in fake.requests if s.path.endswith("/insights")]
    assert len(pages) >= len(rows) // 7 and sum(1 for s in pages if s.params.get("after")) >= len(rows) // 7 - 4


async def test_a_large_window_runs_as_a_report_job_polled_on_the_sleeper(fake, account, campaigns, clock):
    fake.insights.report_polls = 3
    sync = reader_for(fake, clock)
    jobs = reader_for(fake, clock, async_from=1, poll_interval=5.0)
    try:
        expected = await sync.performance(account, campaigns, WEEK_AGO, TODAY)
        rows = await jobs.performance(account, campaigns, WEEK_AGO, TODAY)
    finally:
        await sync.graph.aclose()
        await jobs.graph.aclose()

    assert by_key(rows) == by_key(expected)
    started = fake.posts("/insights")
    assert len(started) == 3, "one report run per level"
    assert clock.waits == [5.0, 5.0] * 3, "two waits before the third read says Job Completed"


async def test_meta_refusing_too_much_data_gets_a_job_and_a_job_still_too_large_is_split(fake, account, campaigns,
                                                                                            reader):
    expected = await reader.performance(account, campaigns, WEEK_AGO, TODAY)
    fake.insights.max_sync_rows = 5
    assert by_key(await reader.performance(account, campaigns, WEEK_AGO, TODAY)) == by_key(expected)
    assert len(fake.posts("/insights")) == 3

    fake.insights.max_async_rows = 12   # 6 ads x 7 days is too much: halves of the week until it fits
    assert by_key(await reader.performance(account, campaigns, WEEK_AGO, TODAY)) == by_key(expected)

    fake.insights.max_sync_rows = fake.insights.max_async_rows = 0    # not even one campaign's day fits
    with pytest.raises(PlatformError) as refused:
        await reader.performance(account, campaigns[:1], TODAY, TODAY)
    assert refused.value.kind is ErrorKind.TRANSIENT and refused.value.error_code == "100/1487534"


async def test_a_sync_timeout_is_run_again_as_a_job(fake, account, campaigns, reader):
    expected = await reader.performance(account, campaigns, WEEK_AGO, TODAY)
    fake.fail_next("insights_timeout", path=f"act_{account.platform_account_id}/insights", method="GET")
    assert by_key(await reader.performance(account, campaigns, WEEK_AGO, TODAY)) == by_key(expected)
    assert len(fake.posts("/insights")) == 1


async def test_the_older_spelling_of_too_much_data_gets_a_job_too(fake, account, campaigns, reader):
    expected = await reader.performance(account, campaigns, WEEK_AGO, TODAY)
    fake.fail_next_error(500, graph_error("Please reduce the amount of data you're asking for, then retry your "
                                          "request", 1), path=f"act_{account.platform_account_id}/insights",
                         method="GET")
    assert by_key(await reader.performance(account, campaigns, WEEK_AGO, TODAY)) == by_key(expected)
    assert len(fake.posts("/insights")) == 1


async def test_a_job_that_never_completes_is_a_retryable_refusal(fake, account, campaigns, clock):
    fake.insights.report_polls = 100
    jobs = reader_for(fake, clock, async_from=1, report_polls=4)
    try:
        with pytest.raises(PlatformError) as refused:
            await jobs.performance(account, campaigns, WEEK_AGO, TODAY)
    finally:
        await jobs.graph.aclose()
    assert refused.value.retryable and refused.value.kind is ErrorKind.TRANSIENT


async def test_restated_days_come_back_with_their_new_figures(fake, account, campaigns, reader):
    before = by_key(await reader.performance(account, campaigns, WEEK_AGO, TODAY - timedelta(days=1)))
    restated = TODAY - timedelta(days=3)
    fake.restate(restated)
    after = by_key(await reader.performance(account, campaigns, WEEK_AGO, TODAY - timedelta(days=1)))

    assert before.keys() == after.keys()
    changed = {key for key in before if before[key] != after[key]}
    assert changed and {key[2] for key in changed} == {restated}
    ads = ads_of(fake, account)
    for ad in ads:
        assert_matches(after[(PerformanceLevel.AD, ad["id"], restated, None)], truth(fake, [ad], restated))


async def test_figures_of_today_grow_as_the_day_goes_on(fake, account, campaigns, reader):
    morning = by_key(await reader.performance(account, campaigns, TODAY, TODAY))
    fake.insights.clock = (NOW + timedelta(hours=4)).timestamp
    evening = by_key(await reader.performance(account, campaigns, TODAY, TODAY))
    assert all(evening[key].impressions > morning[key].impressions for key in morning)


async def test_only_the_campaigns_asked_for(fake, account, campaigns, reader):
    rows = await reader.performance(account, campaigns[:1], TODAY, TODAY, hourly_day=TODAY)
    assert rows and {r.platform_campaign_id for r in rows} == {campaigns[0]}
    fake.requests.clear()
    assert await reader.performance(account, [], WEEK_AGO, TODAY, hourly_day=TODAY) == []
    assert not fake.requests


async def test_an_insights_throttle_waits_what_meta_says_then_reads_on(fake, account, campaigns, reader, clock):
    expected = await reader.performance(account, campaigns, WEEK_AGO, TODAY)
    fake.fail_next("insights_throttle", path=f"act_{account.platform_account_id}/insights")
    rows = await reader.performance(account, campaigns, WEEK_AGO, TODAY)
    assert by_key(rows) == by_key(expected)
    assert clock.waits and clock.waits[0] == pytest.approx(60.0), "the minute Meta's usage headers announced"


async def test_a_throttle_that_lasts_leaves_as_throttled_with_its_retry_after(fake, account, campaigns, reader):
    fake.fail_next("insights_throttle", times=10, path=f"act_{account.platform_account_id}/insights")
    with pytest.raises(PlatformError) as refused:
        await reader.performance(account, campaigns[:1], WEEK_AGO, TODAY)
    assert refused.value.kind is ErrorKind.THROTTLED and refused.value.error_code == "4/1504022"
    assert refused.value.retry_after == pytest.approx(60.0)


async def test_a_row_meta_spells_wrong_is_refused_naming_the_field_and_a_good_page_next_is_read(
        fake, account, campaigns, reader, clock):
    expected = await reader.performance(account, campaigns[:1], WEEK_AGO, TODAY)
    garbled = {"data": [{"campaign_id": campaigns[0], "date_start": TODAY.isoformat(), "impressions": "12 thousand"}]}
    fake.fail_next_error(200, garbled, times=10, path=f"act_{account.platform_account_id}/insights")
    with pytest.raises(PlatformError) as refused:
        await reader.performance(account, campaigns[:1], WEEK_AGO, TODAY)
    assert refused.value.kind is ErrorKind.TRANSIENT and refused.value.retryable
    assert "$.data[0].impressions" in refused.value.message
    fake.fail_next_error(200, garbled, times=1, path=f"act_{account.platform_account_id}/insights")
    assert by_key(await reader.performance(account, campaigns[:1], WEEK_AGO, TODAY)) == by_key(expected)


async def test_an_intermittent_failure_is_retried_after_a_short_backoff(fake, account, campaigns, reader, clock):
    expected = await reader.performance(account, campaigns, WEEK_AGO, TODAY)
    fake.fail_next("insights_intermittent", path=f"act_{account.platform_account_id}/insights")
    assert by_key(await reader.performance(account, campaigns, WEEK_AGO, TODAY)) == by_key(expected)
    assert clock.waits == [1.0]


async def test_the_insights_throttle_header_slows_the_next_calls(fake, account, campaigns, clock):
    fake.insights.set_throttle(96.0)
    reader = reader_for(fake, clock, page_size=5, concurrency=1)
    try:
        rows = await reader.performance(account, campaigns[:1], WEEK_AGO, TODAY)
    finally:
        await reader.graph.aclose()
    assert isinstance(reader.graph.governor, InsightsGovernor)
    calls = [s for s in fake.requests if s.path.endswith("/insights")]
    assert len(rows) == 3 * 7 + 7 + 7 and len(calls) > 3
    assert clock.waits == [pytest.approx(60.0)] * (len(calls) - 1), \
        "every call after an answer at 96 % waits the governor's default minute"


async def test_a_revoked_token_is_not_retried(fake, account, campaigns, reader):
    fake.revoke(account.token)
    with pytest.raises(PlatformError) as refused:
        await reader.performance(account, campaigns, WEEK_AGO, TODAY)
    assert refused.value.kind is ErrorKind.TOKEN_INVALID


async def test_the_service_builds_meta_reports_on_the_publishers_graph(fake):
    settings = CampaignsSettings(environment="test", ADLY_DATABASE_URL="postgresql://x@127.0.0.1:9/unused",
                                 ADLY_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9", meta_app_id=APP_ID,
                                 meta_app_secret=APP_SECRET, meta_graph_url=fake.graph_url)
    clients = build_meta(settings)
    try:
        assert isinstance(clients.reports, MetaReports)
        assert clients.reports.graph is clients.publisher.graph
    finally:
        await clients.aclose()
