"""Commands of `adly-auth` beyond the shared ones."""

from __future__ import annotations

from adly_auth.adapters.container import Adapters
from adly_kit.service import Runtime


async def rotate_keys(runtime: Runtime, args: list[str]) -> None:
    """A new active signing key; the previous one stays published for the overlap window."""
    adapters = Adapters.for_runtime(runtime)
    async with runtime.engine.begin() as tx:
        kid = await adapters.keys.rotate(tx, adapters.seconds("signing_key_overlap"))
    print(f"new signing key {kid}; the previous one retires in {adapters.settings.signing_key_overlap_seconds} s")
