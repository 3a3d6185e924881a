"""Exports as streamed CSV on real Postgres: the CSV's figures are the breakdown API's, row for row;
owners and admins with a fresh 2FA proof only; a large export leaves in chunks while the rows are
still being read (a server-side cursor), never built whole in memory."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from adly_analytics.handlers.exports import BOM
from adly_kit.app import create_app
from adly_kit.identity import sign

from ..unit.builders import CAMPAIGN, OTHER_AD, order, performance, published, tagged
from .test_analytics_read_models import SINCE, UNTIL, placed, series_id

MONEY = ("spend", "cpc", "cpm", "conversion_value", "revenue", "cpa")
NUMBERS = ("impressions", "clicks", "ctr", "conversions", "platform_roas", "orders", "roas")
KEYS = {"campaign": ("campaign_id",), "ad_set": ("platform", "campaign_id", "ad_set_id"),
        "ad": ("platform", "campaign_id", "ad_set_id", "ad_id"), "product": ("product",)}


def exporter(h, *, role: str = "owner", mfa: bool = True) -> dict[str, str]:
    claims = {"sub": str(uuid.uuid4()), "kind": "user", "sid": str(uuid.uuid4()), "mfa": mfa,
              "ws": str(h.workspace_id), "role": role, "rid": "test"}
    return {"X-Adly-Identity": sign(claims, h.runtime.settings.internal_identity_key.get_secret_value().encode())}


async def export(h, **params: Any):
    return await h.client.get(f"/v1/workspaces/{h.workspace_id}/analytics/exports", params=params,
                              headers=exporter(h))


def parsed(body: bytes) -> list[dict[str, str]]:
    decoded = body.decode("utf-8")
    assert decoded.startswith(BOM)
    return list(csv.DictReader(io.StringIO(decoded[len(BOM):])))


def as_csv(figures: dict[str, Any]) -> dict[str, Any]:
    """The breakdown's figures as the CSV writes them ('' for null); numbers compared as decimals."""
    shown = {name: "" if figures[name] is None else figures[name]["amount"] for name in MONEY}
    shown |= {name: "" if figures[name] is None else Decimal(str(figures[name])) for name in NUMBERS}
    return shown


def of_csv(row: dict[str, str]) -> dict[str, Any]:
    return {name: row[name] for name in MONEY} | {name: row[name] and Decimal(row[name]) for name in NUMBERS}


async def seeded(h) -> None:
    other_campaign = uuid.UUID(int=77)
    when = datetime(2026, 6, 10, 9, tzinfo=UTC)
    await h.deliver(h.envelope(published(), CAMPAIGN, 5),
                    *(h.envelope(performance(date(2026, 6, d), f"{d}.37", clicks=d * 3, value=f"{d * 4}"), series_id())
                      for d in range(1, 6)),
                    h.envelope(performance(date(2026, 6, 2), "50.10", ad=OTHER_AD, conversions="3"), series_id()),
                    h.envelope(performance(date(2026, 6, 4), "13", campaign=other_campaign), series_id()),
                    placed(h, order(when, "300", attribution=tagged(), lines=(("p-1", "200"), ("عباية-2", "100")))),
                    placed(h, order(when, "45.55", attribution=tagged(OTHER_AD))),
                    placed(h, order(when, "20")))


async def test_analytics_each_exports_rows_are_the_breakdowns_figures(analytics):
    h = analytics
    await seeded(h)
    for by, keys in KEYS.items():
        answer = await export(h, by=by, since=SINCE, until=UNTIL)
        assert answer.status_code == 200, answer.text
        exported = {tuple(r[k] for k in keys): (r["currency"], of_csv(r)) for r in parsed(answer.content)}
        groups = (await h.get("/breakdown", by=by, since=SINCE, until=UNTIL, limit=200)).json()["rows"]
        expected = {tuple(g[k] or "" for k in keys): ("SAR", as_csv(g["figures"])) for g in groups}
        assert exported == expected, (by, differing(exported, expected))
        assert len(expected) >= 2, by


def differing(left: dict, right: dict) -> list:
    return [(k, n, left[k][1].get(n), right[k][1].get(n)) for k in left.keys() & right.keys()
            for n in right[k][1] if left[k][1].get(n) != right[k][1].get(n)] + sorted(map(str, left.keys() ^ right.keys()))


async def test_analytics_the_daily_export_is_the_time_series_on_the_days_with_figures(analytics):
    h = analytics
    await seeded(h)
    rows = parsed((await export(h, by="day", since=SINCE, until=UNTIL)).content)
    points = (await h.get("/timeseries", since=SINCE, until=UNTIL)).json()["points"]
    expected = {p["day"]: as_csv(p["figures"]) for p in points if p["figures"]["spend"] or p["figures"]["orders"]}
    assert {r["day"]: of_csv(r) for r in rows} == expected
    assert rows[0]["day"] == "2026-06-01"


async def test_analytics_an_export_is_an_excel_ready_attachment_with_arabic_product_ids(analytics):
    h = analytics
    await seeded(h)
    answer = await export(h, by="product", since=SINCE, until=UNTIL)
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == \
        'attachment; filename="adly-analytics-product-2026-06-01-2026-06-30.csv"'
    assert answer.content.startswith(BOM.encode())
    header, *_ = answer.content.decode()[1:].splitlines()
    assert header == ("product,currency,spend,impressions,clicks,ctr,cpc,cpm,conversions,conversion_value,"
                      "platform_roas,orders,revenue,roas,cpa")
    assert "عباية-2" in {r["product"] for r in parsed(answer.content)}


async def test_analytics_exports_need_an_owner_or_admin_with_a_fresh_two_factor_proof(analytics):
    h = analytics
    url = f"/v1/workspaces/{h.workspace_id}/analytics/exports"
    params = {"since": SINCE, "until": UNTIL}
    analyst = await h.client.get(url, params=params, headers=exporter(h, role="analyst"))
    no_2fa = await h.client.get(url, params=params, headers=exporter(h, mfa=False))
    admin = await h.client.get(url, params=params, headers=exporter(h, role="admin"))
    assert analyst.status_code == 403
    assert (no_2fa.status_code, no_2fa.json()["code"]) == (403, "two-factor-required")
    assert admin.status_code == 200


async def test_analytics_an_export_refuses_a_bad_period_or_grouping_before_streaming(analytics):
    h = analytics
    backwards = await export(h, since="2026-06-02", until="2026-06-01")
    colour = await export(h, by="colour", since=SINCE, until=UNTIL)
    assert backwards.status_code == 422 and "query/since" in [e["path"] for e in backwards.json()["errors"]]
    assert colour.status_code == 422 and "query/by" in [e["path"] for e in colour.json()["errors"]]


async def test_analytics_a_20000_row_export_leaves_in_chunks_while_its_cursor_is_still_reading(analytics):
    h = analytics
    async with h.runtime.engine.begin() as tx:
        await tx.execute(text(
            f"INSERT INTO {h.schema}.cells (workspace_id, grain, day, hour, platform, campaign_id, ad_set_id, ad_id, "
            "product, currency, rows, impressions, clicks, spend, conversions, conversion_value, orders, revenue) "
            "SELECT :w, 'ad', DATE '2026-06-01' + n % 30, -1, 'meta', :c, 'set-' || (n % 50), "
            "('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, '', 'SAR', 1, 1000, 10, n, 1, 0, 0, 0 "
            "FROM generate_series(1, 20000) AS n"), {"w": h.workspace_id, "c": CAMPAIGN})
    chunks, reading = await streamed(h, f"/v1/workspaces/{h.workspace_id}/analytics/exports",
                                     f"by=ad&since={SINCE}&until={UNTIL}")

    body = b"".join(chunks)
    assert len(parsed(body)) == 20000
    assert len(chunks) >= 20 and max(map(len, chunks)) < len(body) / 10
    assert reading[1] is True   # when the second chunk was sent, the query was still open on its backend


async def streamed(h, path: str, query: str) -> tuple[list[bytes], list[bool]]:
    """Drive the ASGI app directly (httpx's ASGI transport would gather the body): each body message
    as sent, and whether the export's query was still running on Postgres at that moment."""
    app = create_app(h.runtime, ("api",))
    chunks: list[bytes] = []
    reading: list[bool] = []
    never = asyncio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        elif message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])
            if len(reading) < 2:
                reading.append(await still_reading(h))

    headers = [(b"host", b"analytics.adly.test"), *((k.lower().encode(), v.encode()) for k, v in exporter(h).items())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "https",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "headers": headers,
             "client": ("127.0.0.1", 50000), "server": ("analytics.adly.test", 443), "root_path": ""}
    await app(scope, receive, send)
    return chunks, reading


async def still_reading(h) -> bool:
    rows = await h.rows("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                        "AND query LIKE '%FROM {s}.cells WHERE workspace_id%GROUP BY%' "
                        "AND state IN ('active', 'idle in transaction')")
    return rows[0][0] == 1
