"""Extra commands of `adly-analytics`: `rebuild-cells` recomputes the read model from the facts."""

from __future__ import annotations

from adly_analytics.adapters.cells import rebuild
from adly_analytics.adapters.container import Adapters
from adly_kit.db import unit_of_work


async def rebuild_cells(a: Adapters, _: list[str]) -> None:
    async with unit_of_work(a.engine) as tx:
        await rebuild(tx, a.settings.schema)
