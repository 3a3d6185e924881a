"""The daily digest's internal route on real Postgres: figures go in through the consumers as the
dashboard tests seed them, and a day's digest is that day's overview and the top of its by-campaign
breakdown; only the notifications service, for its own workspace, may read it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx

from adly_analytics.domain.digest import TOP_CAMPAIGNS
from adly_events.contracts.catalog import OrderAttribution, OrderPlaced, StorePlatform
from adly_kit.identity import service_identity, sign

from ..unit.builders import CAMPAIGN, OTHER_AD, order, performance, published, tagged

STORE = uuid.UUID("5d0c7f3e-8a1b-4c2d-9e3f-4a5b6c7d8e9f")
DAY = date(2026, 6, 10)
OTHERS = [uuid.uuid4() for _ in range(6)]   # campaigns that spent on the day but sold nothing


def placed(h, o):
    return h.envelope(OrderPlaced(store_id=STORE, platform=StorePlatform.SHOPIFY, order=o), uuid.uuid4())


def as_service(h, service: str = "notifications", ws: UUID | None = None) -> dict[str, str]:
    key = h.runtime.settings.internal_identity_key.get_secret_value().encode()
    return {"X-Adly-Identity": service_identity(service, ws or h.workspace_id, key)}


async def digest(h, day: Any = DAY, headers: dict[str, str] | None = None) -> httpx.Response:
    return await h.client.get(f"/internal/analytics/workspaces/{h.workspace_id}/digest", params={"day": str(day)},
                              headers=as_service(h) if headers is None else headers)


async def seed(h) -> None:
    at = datetime(2026, 6, 10, 9, tzinfo=UTC)
    await h.deliver(
        h.envelope(published(), CAMPAIGN, 5),
        h.envelope(performance(DAY, "120.50", value="300", impressions=1000, clicks=40), uuid.uuid4()),
        h.envelope(performance(DAY, "30", ad=OTHER_AD, impressions=500, clicks=10), uuid.uuid4()),
        *[h.envelope(performance(DAY, f"{10 * (n + 1)}", campaign=c, impressions=100, clicks=n), uuid.uuid4())
          for n, c in enumerate(OTHERS)],
        h.envelope(performance(date(2026, 6, 11), "999", value="5"), uuid.uuid4()),       # another day
        placed(h, order(at, "249.90", attribution=tagged())),
        placed(h, order(at, "70", attribution=OrderAttribution(source_name="web"))),       # credited to no campaign
        placed(h, order(datetime(2026, 6, 11, 9, tzinfo=UTC), "33", attribution=tagged())))


def cents(value: str) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


async def test_analytics_the_digest_of_a_day_equals_the_overview_and_top_campaigns_of_that_day(analytics) -> None:
    h = analytics
    await seed(h)
    answer = await digest(h)
    assert answer.status_code == 200, answer.text
    got = answer.json()
    current = (await h.get("/overview", since=str(DAY), until=str(DAY))).json()["current"]
    assert got["workspace_id"] == str(h.workspace_id) and got["day"] == "2026-06-10"
    assert got["currency"] == current["spend"]["currency"] == current["revenue"]["currency"] == "SAR"
    assert (got["spend"], got["revenue"]) == (current["spend"]["amount"], current["revenue"]["amount"])
    assert (got["orders"], got["impressions"], got["clicks"]) == (current["orders"], current["impressions"],
                                                                   current["clicks"])
    assert got["roas"] == cents(current["roas"])
    # And the figures themselves, computed here: both orders of the day (one credited to no campaign).
    spend, revenue = Decimal("150.50") + sum(Decimal(10 * (n + 1)) for n in range(6)), Decimal("319.90")
    assert (got["spend"], got["revenue"], got["orders"]) == (cents(str(spend)), "319.90", 2)
    assert got["roas"] == cents(str(revenue / spend))

    rows = (await h.get("/breakdown", by="campaign", since=str(DAY), until=str(DAY))).json()["rows"]
    expected = [{"campaign_id": r["campaign_id"], "name": None, "spend": r["figures"]["spend"]["amount"],
                 "revenue": r["figures"]["revenue"]["amount"], "orders": r["figures"]["orders"],
                 "roas": r["figures"]["roas"] and cents(r["figures"]["roas"])}
                for r in rows if r["campaign_id"] is not None][:TOP_CAMPAIGNS]
    assert got["campaigns"] == expected
    assert [c["campaign_id"] for c in got["campaigns"]] == [str(CAMPAIGN), *map(str, OTHERS[::-1][:4])]
    assert got["campaigns"][0] == {"campaign_id": str(CAMPAIGN), "name": None, "spend": "150.50",
                                   "revenue": "249.90", "orders": 1, "roas": cents(str(Decimal("249.90") / Decimal("150.50")))}


async def test_analytics_a_day_without_figures_has_a_digest_of_zeros(analytics) -> None:
    h = analytics
    await seed(h)
    answer = await digest(h, date(2026, 6, 9))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"workspace_id": str(h.workspace_id), "day": "2026-06-09", "currency": None,
                             "spend": "0.00", "revenue": "0.00", "orders": 0, "roas": None, "impressions": 0,
                             "clicks": 0, "campaigns": []}


async def test_analytics_a_bad_digest_day_is_refused_with_its_field_path(analytics) -> None:
    h = analytics
    for day in ("2026-13-01", "yesterday", ""):
        answer = await digest(h, day)
        assert answer.status_code == 422, (day, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "query/day" in [e["path"] for e in answer.json()["errors"]], answer.json()
    missing = await h.client.get(f"/internal/analytics/workspaces/{h.workspace_id}/digest", headers=as_service(h))
    assert missing.status_code == 422 and "query/day" in [e["path"] for e in missing.json()["errors"]]


async def test_analytics_only_the_notifications_service_of_the_workspace_reads_its_digest(analytics) -> None:
    h = analytics
    await seed(h)
    key = h.runtime.settings.internal_identity_key.get_secret_value().encode()
    owner = h.identity(role="owner")
    not_a_service = {"X-Adly-Identity": sign({"sub": "service:notifications", "kind": "user", "ws": str(h.workspace_id),
                                              "role": "owner"}, key)}
    for headers in (owner, not_a_service, as_service(h, "campaigns"), as_service(h, ws=uuid.uuid4())):
        answer = await digest(h, headers=headers)
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "249.90" not in answer.text
    assert (await digest(h, headers={})).status_code == 401
