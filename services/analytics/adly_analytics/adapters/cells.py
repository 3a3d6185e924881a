"""The cells the dashboard reads: written by deltas through COPY into a staging table (in the
consumer's transaction, so they commit with the inbox), read by workspace, grain and days, and
rebuilt from the facts alone (`rebuild`), which must give the very same rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.domain.figures import Amounts, Key, Totals
from adly_analytics.handlers.ports import CellDelta, Grain
from adly_events.contracts.common import AdPlatform

NO_ID = UUID(int=0)
KEY = ("workspace_id", "grain", "day", "hour", "platform", "campaign_id", "ad_set_id", "ad_id", "product", "currency")
MEASURES = ("rows", "impressions", "clicks", "spend", "conversions", "conversion_value", "orders", "revenue")
COLUMNS = KEY + MEASURES
ALL_ZERO = " AND ".join(f"{{c}}.{m} = 0" for m in MEASURES)


async def copy_into(tx: AsyncConnection, table: str, columns: Sequence[str], records: list[tuple[Any, ...]]) -> None:
    """COPY records into a (temporary) table on the transaction's own asyncpg connection."""
    raw = await tx.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(table, records=records, columns=list(columns))  # type: ignore[union-attr]


async def staging(tx: AsyncConnection, name: str, like: str) -> str:
    """A session's temporary copy of a table's shape, emptied for this use."""
    await tx.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {name} (LIKE {like}) ON COMMIT DELETE ROWS"))
    await tx.execute(text(f"DELETE FROM {name}"))
    return name


async def add_cells(tx: AsyncConnection, schema: str, deltas: Iterable[CellDelta]) -> None:
    records = [record for delta in deltas for record in cell_records(delta)]
    if not records:
        return
    stage = await staging(tx, f"{schema}_cells_stage", f"{schema}.cells")
    await copy_into(tx, stage, COLUMNS, records)
    # In key order, so two transactions adding to the same cells lock them in the same order.
    key, sums = ", ".join(KEY), ", ".join(f"sum({m})" for m in MEASURES)
    added = ", ".join(f"{m} = cells.{m} + excluded.{m}" for m in MEASURES)
    await tx.execute(text(f"INSERT INTO {schema}.cells ({', '.join(COLUMNS)}) SELECT {key}, {sums} FROM {stage} "
                          f"GROUP BY {key} ORDER BY {key} ON CONFLICT ({key}) DO UPDATE SET {added}"))
    await tx.execute(text(f"DELETE FROM {schema}.cells c USING {stage} s WHERE "
                          + " AND ".join(f"c.{k} = s.{k}" for k in KEY) + " AND " + ALL_ZERO.format(c="c")))


def cell_records(delta: CellDelta) -> list[tuple[Any, ...]]:
    """One record per currency; counts go with the first currency of the spend (else of the revenue)."""
    t, k = delta.totals, delta.key
    spend, value, revenue = dict(t.spend.by_currency), dict(t.conversion_value.by_currency), dict(t.revenue.by_currency)
    currencies = sorted(spend.keys() | value.keys() | revenue.keys())
    if not currencies:
        return []
    first = sorted(spend)[0] if spend else sorted(revenue or value)[0]
    key = (k.workspace_id, delta.grain, k.day, delta.hour, k.platform.value if k.platform else "",
           k.campaign_id or NO_ID, k.ad_set_id or "", k.ad_id or NO_ID, k.product or "")
    zero = Decimal(0)
    return [key + (c, *((t.reach_rows, t.impressions, t.clicks) if c == first else (0, 0, 0)), spend.get(c, zero),
                   t.conversions if c == first else zero, value.get(c, zero), t.orders if c == first else 0,
                   revenue.get(c, zero)) for c in currencies]


class CellQueries:
    """The read side: cells of one workspace, grain and span of days; never the raw facts."""

    def __init__(self, schema: str) -> None:
        self.s = schema

    async def cells(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, start: date, end: date, *,
                    platform: AdPlatform | None = None, campaign_id: UUID | None = None) -> dict[Key, Totals]:
        found: dict[Key, Totals] = {}
        for row in await self._rows(tx, workspace_id, grain, start, end, platform, campaign_id):
            key = Key(workspace_id, AdPlatform(row.platform) if row.platform else None, _id(row.campaign_id),
                      row.ad_set_id or None, _id(row.ad_id), row.product or None, row.day)
            found[key] = found.get(key, Totals()) + totals_of(row)
        return found

    async def sums(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, by: Sequence[str], start: date,
                   end: date, *, platform: AdPlatform | None = None,
                   campaign_id: UUID | None = None) -> dict[Key, Totals]:
        """The cells from `start` to `end` summed by Postgres per group of `by` (and currency): one
        row per group and currency comes back, never the cells themselves."""
        found: dict[Key, Totals] = {}
        for row in await self._groups(tx, workspace_id, grain, by, start, end, platform, campaign_id):
            key = _group_key(workspace_id, row)
            found[key] = found.get(key, Totals()) + summed_totals(row)
        return found

    async def ranked(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, by: Sequence[str], start: date,
                     end: date, *, offset: int, limit: int, platform: AdPlatform | None = None,
                     campaign_id: UUID | None = None) -> tuple[list[tuple[Key, Totals]], bool]:
        """The groups of `by` largest attributed revenue first, then spend, then key (the order the
        dashboard shows: `Figures.revenue` and `Figures.spend`, a figure in several currencies
        counting as 0), `limit` of them from `offset`, sorted and cut by Postgres; and whether more follow."""
        rows = await self._groups(tx, workspace_id, grain, by, start, end, platform, campaign_id,
                                  page=(offset, limit + 1))
        found: dict[Key, Totals] = {}
        for row in rows:
            key = _group_key(workspace_id, row)
            found[key] = found.get(key, Totals()) + summed_totals(row)
        groups = list(found.items())
        return groups[:limit], len(groups) > limit

    async def hours(self, tx: AsyncConnection, workspace_id: UUID, start: date, end: date, *,
                    platform: AdPlatform | None = None,
                    campaign_id: UUID | None = None) -> dict[tuple[date, int], Totals]:
        found: dict[tuple[date, int], Totals] = {}
        for row in await self._rows(tx, workspace_id, "hour", start, end, platform, campaign_id):
            found[(row.day, row.hour)] = found.get((row.day, row.hour), Totals()) + totals_of(row)
        return found

    async def reach(self, tx: AsyncConnection, workspace_id: UUID, start: date, end: date) -> int | None:
        rows = (await tx.execute(text(
            f"SELECT reach FROM {self.s}.performance WHERE workspace_id = :w AND day BETWEEN :a AND :b "
            "AND level = 'ad' AND hour = -1 LIMIT 2"), {"w": workspace_id, "a": start, "b": end})).all()
        return rows[0][0] if len(rows) == 1 else None

    async def _rows(self, tx: AsyncConnection, workspace_id: UUID, grain: str, start: date, end: date,
                    platform: AdPlatform | None, campaign_id: UUID | None) -> Sequence[Any]:
        where, params = "", {"w": workspace_id, "g": grain, "a": start, "b": end}
        if platform is not None:
            where, params["p"] = where + " AND platform = :p", platform.value
        if campaign_id is not None:
            where, params["c"] = where + " AND campaign_id = :c", campaign_id
        return (await tx.execute(text(
            f"SELECT * FROM {self.s}.cells WHERE workspace_id = :w AND grain = :g AND day BETWEEN :a AND :b{where}"),
            params)).all()

    async def _groups(self, tx: AsyncConnection, workspace_id: UUID, grain: str, by: Sequence[str], start: date,
                      end: date, platform: AdPlatform | None, campaign_id: UUID | None,
                      page: tuple[int, int] | None = None) -> Sequence[Any]:
        if not set(by) <= set(GROUPS):
            raise ValueError(f"not a dimension of cells: {by}")
        dims = [d for d in GROUPS if d in by]
        where, params = "", {"w": workspace_id, "g": grain, "a": start, "b": end}
        if platform is not None:
            where, params["p"] = where + " AND platform = :p", platform.value
        if campaign_id is not None:
            where, params["c"] = where + " AND campaign_id = :c", campaign_id
        group = ", ".join((*dims, "currency"))
        # Per group and currency: the sums, and whether the Python rollup of the cells would list the
        # currency in the spend, value and revenue (`totals_of`: an amount shows when it is not 0, spend
        # and value also when a performance row stands behind it).
        grouped = (f"SELECT {group}, sum(rows)::bigint AS rows, sum(impressions)::bigint AS impressions, "
                   "sum(clicks)::bigint AS clicks, sum(spend) AS spend, sum(conversions) AS conversions, "
                   "sum(conversion_value) AS conversion_value, sum(orders)::bigint AS orders, "
                   "sum(revenue) AS revenue, bool_or(spend <> 0 OR rows <> 0) AS spend_shown, "
                   "bool_or(conversion_value <> 0 OR rows <> 0) AS value_shown, bool_or(revenue <> 0) AS revenue_shown "
                   f"FROM {self.s}.cells WHERE workspace_id = :w AND grain = :g AND day BETWEEN :a AND :b{where} "
                   f"GROUP BY {group}")
        if page is None:
            return (await tx.execute(text(grouped), params)).all()
        params["o"], params["n"] = page
        joined = " AND ".join(f"g.{d} = t.{d}" for d in dims) or "true"
        listed = ", ".join(dims)
        tie = " || '|' || ".join(_tie(d) if d in dims else "''" for d in TIE)
        # `Figures.revenue` / `.spend`: the amount when exactly one currency has it (revenue: a nonzero
        # one), else 0 for the order; ties by the key as `reading` writes it, compared as code points.
        order = "t.by_revenue DESC, t.by_spend DESC, t.tie"
        statement = (
            f"WITH g AS ({grouped}), t AS (SELECT {listed}{', ' if dims else ''}"
            "CASE WHEN count(*) FILTER (WHERE revenue <> 0) = 1 THEN sum(revenue) FILTER (WHERE revenue <> 0) "
            "ELSE 0 END AS by_revenue, "
            "CASE WHEN count(*) FILTER (WHERE spend_shown) = 1 THEN sum(spend) FILTER (WHERE spend_shown) "
            f"ELSE 0 END AS by_spend, min(({tie}) COLLATE \"C\") AS tie FROM g {'GROUP BY ' + listed if dims else ''} "
            f"ORDER BY {order.replace('t.', '')} LIMIT :n OFFSET :o) "
            f"SELECT g.* FROM t JOIN g ON {joined} ORDER BY {order}, g.currency")
        return (await tx.execute(text(statement), params)).all()


GROUPS = ("day", "platform", "campaign_id", "ad_set_id", "ad_id", "product")
TIE = ("platform", "campaign_id", "ad_set_id", "ad_id", "product")


def _tie(dimension: str) -> str:
    """A dimension as `str` writes it in `reading`'s key order ('' for an absent one)."""
    if dimension in ("campaign_id", "ad_id"):
        return f"CASE WHEN {dimension} = '{NO_ID}'::uuid THEN '' ELSE {dimension}::text END"
    return dimension


def _group_key(workspace_id: UUID, row: Any) -> Key:
    m = row._mapping
    platform, campaign, ad = m.get("platform"), m.get("campaign_id"), m.get("ad_id")
    return Key(workspace_id, AdPlatform(platform) if platform else None, _id(campaign) if campaign else None,
               m.get("ad_set_id") or None, _id(ad) if ad else None, m.get("product") or None, m.get("day"))


def summed_totals(row: Any) -> Totals:
    """One group's sums in one currency, as the rollup of its cells (`totals_of`, added up) has them."""
    c = row.currency
    return Totals(row.impressions, row.clicks, Amounts(((c, row.spend),)) if row.spend_shown else Amounts(),
                  row.conversions, Amounts(((c, row.conversion_value),)) if row.value_shown else Amounts(),
                  row.orders, Amounts(((c, row.revenue),)) if row.revenue_shown else Amounts(), reach_rows=row.rows)


def totals_of(row: Any) -> Totals:
    c = row.currency
    shown = row.rows != 0
    return Totals(row.impressions, row.clicks, _amounts(c, row.spend, shown), row.conversions,
                  _amounts(c, row.conversion_value, shown), row.orders, _amounts(c, row.revenue, False),
                  reach_rows=row.rows)


def _amounts(currency: str, amount: Decimal, shown: bool) -> Amounts:
    return Amounts(((currency, amount),)) if amount != 0 or shown else Amounts()


def _id(value: UUID) -> UUID | None:
    return None if value == NO_ID else value


def rebuild_statement(s: str) -> str:
    """Every cell recomputed from the facts: the latest daily ad rows and hourly campaign rows, and
    the attribution entries (per product from their split)."""
    perf = (f"SELECT workspace_id, g, day, {{hour}}, CASE WHEN g = 'workspace' THEN '' ELSE platform END, "
            f"CASE WHEN g = 'workspace' THEN '{NO_ID}'::uuid ELSE campaign_id END, "
            f"CASE WHEN g = 'ad' THEN coalesce(ad_set_id, '') ELSE '' END, "
            f"CASE WHEN g = 'ad' THEN coalesce(ad_id, '{NO_ID}'::uuid) ELSE '{NO_ID}'::uuid END, '', ")
    grains_day = "CROSS JOIN (VALUES ('ad'), ('workspace')) AS gs(g) WHERE level = 'ad' AND hour = -1"
    grains_hour = "CROSS JOIN (VALUES ('hour')) AS gs(g) WHERE level = 'campaign' AND hour >= 0"
    main = ("spend_currency, 1, impressions, clicks, spend, conversions, "
            "CASE WHEN value_currency = spend_currency THEN conversion_value ELSE 0 END, 0, 0")
    other = "value_currency, 0, 0, 0, 0, 0, conversion_value, 0, 0"
    parts = [f"{perf.format(hour='-1')}{main} FROM {s}.performance {grains_day}",
             f"{perf.format(hour='-1')}{other} FROM {s}.performance {grains_day} AND value_currency <> spend_currency",
             f"{perf.format(hour='hour')}{main} FROM {s}.performance {grains_hour}",
             f"{perf.format(hour='hour')}{other} FROM {s}.performance {grains_hour} AND value_currency <> spend_currency",
             f"SELECT workspace_id, g, day, -1, CASE WHEN g = 'ad' THEN coalesce(platform, '') ELSE '' END, "
             f"CASE WHEN g = 'ad' THEN coalesce(campaign_id, '{NO_ID}'::uuid) ELSE '{NO_ID}'::uuid END, "
             f"CASE WHEN g = 'ad' THEN coalesce(ad_set_id, '') ELSE '' END, "
             f"CASE WHEN g = 'ad' THEN coalesce(ad_id, '{NO_ID}'::uuid) ELSE '{NO_ID}'::uuid END, '', "
             f"currency, 0, 0, 0, 0, 0, 0, orders, amount FROM {s}.entries "
             "CROSS JOIN (VALUES ('ad'), ('workspace')) AS gs(g)",
             f"SELECT workspace_id, 'product', day, -1, '', '{NO_ID}'::uuid, '', '{NO_ID}'::uuid, "
             "coalesce(p->>'product', ''), currency, 0, 0, 0, 0, 0, 0, orders, (p->>'amount')::numeric "
             f"FROM {s}.entries CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_array_length(products) = 0 "
             "THEN jsonb_build_array(jsonb_build_object('product', NULL, 'amount', amount::text)) "
             "ELSE products END) AS p"]
    key, sums = ", ".join(KEY), ", ".join(f"sum({m})" for m in MEASURES)
    facts = " UNION ALL ".join(parts)
    return (f"INSERT INTO {s}.cells ({', '.join(COLUMNS)}) SELECT {key}, {sums} FROM ({facts}) AS "
            f"f({', '.join(COLUMNS)}) GROUP BY {key} HAVING NOT ("
            + " AND ".join(f"sum({m}) = 0" for m in MEASURES) + ")")


async def rebuild(tx: AsyncConnection, schema: str) -> None:
    """Empty the cells and recompute them from the facts."""
    await tx.execute(text(f"DELETE FROM {schema}.cells"))
    await tx.execute(text(rebuild_statement(schema)))
