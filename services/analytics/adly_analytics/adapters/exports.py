"""The export's read side: cells of one workspace and grain summed per group and currency by
Postgres, streamed through a server-side cursor a page at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.adapters.cells import MEASURES, _id, totals_of
from adly_analytics.domain.figures import Key, Totals
from adly_analytics.handlers.ports import Grain
from adly_events.contracts.common import AdPlatform

PAGE = 1000
COLUMNS = ("day", "platform", "campaign_id", "ad_set_id", "ad_id", "product")


class ExportQueries:
    def __init__(self, schema: str, page: int = PAGE) -> None:
        self.s, self.page = schema, page

    async def groups(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, by: Sequence[str], start: date,
                     end: date) -> AsyncIterator[tuple[Key, str, Totals]]:
        if not set(by) <= set(COLUMNS):
            raise ValueError(f"not a dimension of cells: {by}")
        group = ", ".join((*by, "currency"))
        sums = ", ".join(f"sum({m}) AS {m}" for m in MEASURES)
        statement = text(f"SELECT {group}, {sums} FROM {self.s}.cells WHERE workspace_id = :w AND grain = :g "
                         f"AND day BETWEEN :a AND :b GROUP BY {group} ORDER BY {group}")
        result = await tx.stream(statement.execution_options(yield_per=self.page),
                                 {"w": workspace_id, "g": grain, "a": start, "b": end})
        async for page in result.partitions(self.page):
            for row in page:
                yield _key(workspace_id, row._mapping), row.currency, totals_of(row)


def _key(workspace_id: UUID, row: Any) -> Key:
    platform, campaign, ad = row.get("platform"), row.get("campaign_id"), row.get("ad_id")
    return Key(workspace_id, AdPlatform(platform) if platform else None, _id(campaign) if campaign else None,
               row.get("ad_set_id") or None, _id(ad) if ad else None, row.get("product") or None, row.get("day"))
