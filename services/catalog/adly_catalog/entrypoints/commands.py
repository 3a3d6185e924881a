"""Commands of `adly-catalog` beyond the shared ones."""

from __future__ import annotations

from adly_catalog.adapters.container import Adapters
from adly_kit.db import unit_of_work


async def rewrap_credentials(a: Adapters, _: list[str]) -> None:
    """After a new key-encryption key is put first in ADLY_ENCRYPTION_KEYS: every data key
    wrapped under it, while the old keys still decrypt (nothing stops meanwhile)."""
    async with unit_of_work(a.engine) as tx:
        count = await a.vault.rewrap_all(tx)
    print(f"re-wrapped {count} store credentials under key {a.vault.current_key}")
