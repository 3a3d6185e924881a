"""Calling a store with its credentials, once more with refreshed ones after a refusal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.platform import Credentials, CredentialsRejected
from adly_catalog.domain.store import Store

T = TypeVar("T")


async def with_credentials(a: Adapters, store: Store, call: Callable[[Credentials], Awaitable[T]]) -> T:
    """`call` with fresh credentials; after a 401, once more with refreshed ones."""
    credentials = await a.access.current(store)
    try:
        return await call(credentials)
    except CredentialsRejected:
        if credentials.refresh_token is None:
            raise
        return await call(await a.access.refreshed(store, credentials))
