"""Rules on real Postgres: written through the HTTP API, evaluated by the performance consumer right
after ingest (same transaction), each firing a `RuleFired` in the event store with its outbox row."""

from __future__ import annotations

import json
from datetime import date, timedelta

from adly_events import CATALOG

from ..unit.builders import AD, CAMPAIGN, performance, published
from .test_analytics_read_models import series_id

DAY = date(2026, 6, 10)
CPA_RULE = {"name": "Pause set-1 when its CPA stays above 40 SAR for 3 days",
            "condition": {"metric": "cpa", "threshold": "40", "currency": "SAR", "days": 3},
            "scope": {"kind": "ad_set", "campaign_id": str(CAMPAIGN), "platform": "meta", "platform_ad_set_id": "set-1"},
            "action": {"kind": "pause"}, "cooldown_hours": 24}


async def post(h, tail: str, body: dict | None = None, role: str = "marketer"):
    return await h.client.post(f"/v1/workspaces/{h.workspace_id}/analytics/rules{tail}", json=body,
                               headers=h.identity(role=role))


async def firings(h) -> list[dict]:
    rows = await h.rows("SELECT e.envelope, o.topic FROM {s}.events e JOIN {s}.outbox o USING (event_id) "
                        "WHERE e.event_type = 'RuleFired' ORDER BY e.position")
    return [{**(r.envelope if isinstance(r.envelope, dict) else json.loads(r.envelope)), "_topic": r.topic}
            for r in rows]


async def three_days(h, spend: str = "100", first: int = 0):
    """Published, then one daily ad row a day: the figures are in before each evaluation."""
    await h.deliver(h.envelope(published(), CAMPAIGN, 5))
    for offset in range(first, first + 3):
        await h.deliver(h.envelope(performance(DAY + timedelta(days=offset), spend, ad=AD, conversions="0"),
                                   series_id()))


async def test_analytics_rules_an_ad_set_whose_cpa_stays_above_target_for_three_days_is_paused_once(analytics):
    h = analytics
    created = await post(h, "", CPA_RULE)
    assert created.status_code == 201, created.text
    rule_id = created.json()["rule_id"]

    await h.deliver(h.envelope(published(), CAMPAIGN, 5))
    day_series = [series_id() for _ in range(3)]
    await h.deliver(h.envelope(performance(DAY, "100"), day_series[0]))
    await h.deliver(h.envelope(performance(DAY + timedelta(days=1), "100"), day_series[1]))
    assert await firings(h) == []                                        # two days are not three
    third = h.envelope(performance(DAY + timedelta(days=2), "100"), day_series[2])
    await h.deliver(third)
    restated = h.envelope(performance(DAY + timedelta(days=2), "130", revision=2), day_series[2], 2)
    assert await h.deliver(third, restated) == ["duplicate", "applied"]  # redelivered; restated in its cooldown

    (fired,) = await firings(h)
    assert fired["_topic"] == CATALOG.get("RuleFired", 1).topic == "adly.analytics.rule"
    assert (fired["aggregate_id"], fired["aggregate_version"], fired["causation_id"]) == (rule_id, 1,
                                                                                          str(third.event_id))
    payload = fired["payload"]
    assert payload["target"] == {"level": "ad_set", "campaign_id": str(CAMPAIGN), "platform": "meta",
                                 "platform_ad_set_id": "set-1", "ad_id": None}
    assert (payload["action"]["kind"], payload["dry_run"]) == ("pause", False)
    assert (payload["figures"]["spend"], payload["figures"]["orders"]) == ("300.00 SAR", "0")
    assert (payload["since"], payload["until"]) == ("2026-06-10", "2026-06-12")
    assert (await h.client.get(f"/v1/workspaces/{h.workspace_id}/analytics/rules/{rule_id}",
                               headers=h.identity())).json()["firings"] == 1


async def test_analytics_rules_a_dry_run_rule_fires_marked_dry_run_and_moves_no_budget(analytics):
    h = analytics
    rule = CPA_RULE | {"dry_run": True, "condition": {"metric": "roas", "threshold": "2", "days": 3},
                       "action": {"kind": "change_budget", "percent": "-20", "floor": {"amount": "50", "currency": "SAR"},
                                  "ceiling": {"amount": "500", "currency": "SAR"}},
                       "daily_limit": {"amount": "30", "currency": "SAR"}}
    assert (await post(h, "", rule)).status_code == 201
    await three_days(h)

    (fired,) = await firings(h)
    assert fired["payload"]["dry_run"] is True
    assert await h.rows("SELECT allowed FROM {s}.rule_firings") == [(0,)]


async def test_analytics_rules_a_disabled_or_deleted_rule_fires_nothing(analytics):
    h = analytics
    rule_id = (await post(h, "", CPA_RULE)).json()["rule_id"]
    assert (await post(h, f"/{rule_id}", CPA_RULE | {"enabled": False})).json()["enabled"] is False
    other = (await post(h, "", CPA_RULE)).json()["rule_id"]
    assert (await post(h, f"/{other}/delete")).status_code == 204
    await three_days(h)

    assert await firings(h) == []
    listed = (await h.client.get(f"/v1/workspaces/{h.workspace_id}/analytics/rules", headers=h.identity())).json()
    assert [r["rule_id"] for r in listed["rules"]] == [rule_id]


async def test_analytics_rules_an_analyst_may_read_rules_but_not_write_them(analytics):
    h = analytics
    refused = await post(h, "", CPA_RULE, role="analyst")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await h.client.get(f"/v1/workspaces/{h.workspace_id}/analytics/rules",
                               headers=h.identity(role="analyst"))).status_code == 200


async def test_analytics_rules_a_rule_that_makes_no_sense_is_refused_naming_its_field(analytics):
    h = analytics
    answer = await post(h, "", CPA_RULE | {"condition": {"metric": "cpa", "threshold": "40", "days": 3}})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == "body/condition.currency"
    assert (await post(h, "/4c1d2e3f-0000-4000-8000-000000000000", CPA_RULE)).status_code == 404
