"""Exports: a workspace's figures over a period as CSV, one row per group (a day, a campaign, an ad
set, an ad or a product) and currency, produced a page of rows at a time as the cells are read.
Money is a decimal string beside its currency; nothing is converted or added across currencies."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.adapters.container import Adapters
from adly_analytics.domain.figures import Figures, Key
from adly_analytics.handlers.ports import Grain
from adly_analytics.handlers.reading import Period
from adly_events.contracts.common import Money

BOM = "\ufeff"   # so Excel reads the file as UTF-8 (Arabic product ids and ad set names)
ROWS_PER_CHUNK = 1000
CENTS, RATIO = Decimal("0.01"), Decimal("0.0001")
FIGURES = ("currency", "spend", "impressions", "clicks", "ctr", "cpc", "cpm", "conversions", "conversion_value",
           "platform_roas", "orders", "revenue", "roas", "cpa")


class ExportBy(StrEnum):
    DAY = "day"
    CAMPAIGN = "campaign"
    AD_SET = "ad_set"
    AD = "ad"
    PRODUCT = "product"


GROUPS: dict[ExportBy, tuple[Grain, tuple[str, ...]]] = {
    ExportBy.DAY: ("workspace", ("day",)),
    ExportBy.CAMPAIGN: ("ad", ("campaign_id",)),
    ExportBy.AD_SET: ("ad", ("platform", "campaign_id", "ad_set_id")),
    ExportBy.AD: ("ad", ("platform", "campaign_id", "ad_set_id", "ad_id")),
    ExportBy.PRODUCT: ("product", ("product",)),
}


def filename(workspace_id: UUID, period: Period, by: ExportBy) -> str:
    return f"adly-analytics-{by.value}-{period.start.isoformat()}-{period.end.isoformat()}.csv"


async def csv_chunks(tx: AsyncConnection, a: Adapters, workspace_id: UUID, period: Period, by: ExportBy, *,
                     rows_per_chunk: int = ROWS_PER_CHUNK) -> AsyncIterator[bytes]:
    """The header with the BOM, then the rows, `rows_per_chunk` at a time, as UTF-8."""
    grain, dimensions = GROUPS[by]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow((*dimensions, *FIGURES))
    yield (BOM + _taken(buffer)).encode()
    count = 0
    async for key, currency, totals in a.exports.groups(tx, workspace_id, grain, dimensions, period.start, period.end):
        writer.writerow(line(key, dimensions, currency, Figures(totals)))
        count += 1
        if count % rows_per_chunk == 0:
            yield _taken(buffer).encode()
    if rest := _taken(buffer):
        yield rest.encode()


def line(key: Key, dimensions: Sequence[str], currency: str, figures: Figures) -> list[str]:
    t = figures.totals
    return [*(_text(getattr(key, d)) for d in dimensions), currency, _money(figures.spend), str(t.impressions),
            str(t.clicks), _ratio(figures.ctr), _money(figures.cpc), _money(figures.cpm), format(t.conversions.normalize(), "f"),
            _money(figures.conversion_value), _ratio(figures.platform_roas), str(t.orders), _money(figures.revenue),
            _ratio(figures.roas), _money(figures.cpa)]


def _taken(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _money(money: Money | None) -> str:
    return "" if money is None else str(money.amount.quantize(CENTS, ROUND_HALF_EVEN))


def _ratio(value: Decimal | None) -> str:
    return "" if value is None else str(value.quantize(RATIO, ROUND_HALF_EVEN))


def _text(value: object) -> str:
    """A platform's or store's text never starts a spreadsheet formula."""
    shown = "" if value is None else str(value)
    return "'" + shown if shown[:1] in ("=", "+", "-", "@", "\t", "\r") else shown
