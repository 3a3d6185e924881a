"""A store's credentials, fresh: refreshed before they expire, and once after a refusal.

Refreshing happens under the credentials row's lock (SELECT ... FOR UPDATE), so two
workers never spend the same single-use refresh token (Salla revokes both tokens when one
is replayed); the second finds the successor saved and uses it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from adly_catalog.adapters.container import Adapters
from adly_catalog.adapters.stores import StoreRow
from adly_catalog.domain.platform import Credentials, CredentialsRejected

T = TypeVar("T")


async def current(a: Adapters, store: StoreRow) -> Credentials:
    async with a.engine.connect() as conn:
        credentials = await a.vault.load(conn, store.workspace_id, store.id)
    if credentials is None:
        raise CredentialsRejected("The store has no credentials; reconnect it.")
    if credentials.expiring(datetime.now(UTC)):
        return await refresh(a, store, used=credentials)
    return credentials


async def refresh(a: Adapters, store: StoreRow, *, used: Credentials) -> Credentials:
    """New credentials, unless another worker refreshed since `used` was read: then theirs."""
    client = a.platforms[store.platform]
    async with a.engine.begin() as tx:
        stored = await a.vault.load(tx, store.workspace_id, store.id, for_update=True)
        if stored is None:
            raise CredentialsRejected("The store has no credentials; reconnect it.")
        if stored.access_token != used.access_token and not stored.expiring(datetime.now(UTC)):
            return stored
        fresh = await client.refresh(store.address, stored)
        await a.vault.save(tx, store.workspace_id, store.id, fresh)
        return fresh


async def with_credentials(a: Adapters, store: StoreRow, call: Callable[[Credentials], Awaitable[T]]) -> T:
    """`call` with fresh credentials; after a 401, once more with refreshed ones."""
    credentials = await current(a, store)
    try:
        return await call(credentials)
    except CredentialsRejected:
        if credentials.refresh_token is None:
            raise
        return await call(await refresh(a, store, used=credentials))
