"""Commands of `adly-auth` beyond the shared ones."""

from __future__ import annotations

from adly_auth.adapters.container import Adapters
from adly_kit.db import unit_of_work


async def rotate_keys(a: Adapters, args: list[str]) -> None:
    """A new active signing key; the previous one stays published for the overlap window."""
    async with unit_of_work(a.engine) as tx:
        kid = await a.keys.rotate(tx, a.seconds("signing_key_overlap"))
    print(f"new signing key {kid}; the previous one retires in {a.settings.signing_key_overlap_seconds} s")
