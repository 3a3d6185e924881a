"""A connected store's credentials, fresh: refreshed before they expire, and after a refusal.

A refresh spends a refresh token, which Salla accepts once (replaying one revokes both
tokens). So it happens under the credentials row's lock, in a transaction of its own held
across the platform's answer: a second worker waits on the lock, then finds the successor
saved and uses it instead of spending the token again. That transaction locks one row of
one store, and is the only one in the catalog that waits on a platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_catalog.adapters.vault import CredentialVault
from adly_catalog.domain.platform import Credentials, CredentialsRejected
from adly_catalog.domain.ports import Platform
from adly_catalog.domain.store import Store
from adly_events.contracts.catalog import StorePlatform

NO_CREDENTIALS = "The store has no credentials; reconnect it."


class VaultAccess:
    def __init__(self, engine: AsyncEngine, vault: CredentialVault, platforms: Mapping[StorePlatform, Platform]) -> None:
        self.engine, self.vault, self.platforms = engine, vault, platforms

    async def current(self, store: Store) -> Credentials:
        async with self.engine.connect() as conn:
            credentials = await self.vault.load(conn, store.workspace_id, store.id)
        if credentials is None:
            raise CredentialsRejected(NO_CREDENTIALS)
        if credentials.expiring(datetime.now(UTC)):
            return await self.refreshed(store, credentials)
        return credentials

    async def refreshed(self, store: Store, used: Credentials) -> Credentials:
        async with self.engine.begin() as tx:
            stored = await self.vault.load(tx, store.workspace_id, store.id, for_update=True)
            if stored is None:
                raise CredentialsRejected(NO_CREDENTIALS)
            if stored.refreshed_since(used, datetime.now(UTC)):
                return stored
            fresh = await self.platforms[store.platform].connecting.refresh(store.address, stored)
            await self.vault.save(tx, store.workspace_id, store.id, fresh)
            return fresh
