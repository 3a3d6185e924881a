"""Connecting a store: the merchant's consent on the platform (OAuth, or WooCommerce's
app authorization), keys given directly, and what follows every connection: credentials
sealed, StoreConnected, webhooks subscribed, the first full sync queued.

The steps that call the platform take no transaction; the edge runs them between the
transactions of the steps that write (`entrypoints/connections.py`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain import store as store_rules
from adly_catalog.domain.errors import ConnectionRefused
from adly_catalog.domain.identity import secret_hash
from adly_catalog.domain.platform import Credentials
from adly_catalog.domain.ports import Consent, Grant, KeyConnecting, PendingConnection
from adly_catalog.domain.store import Store
from adly_events.contracts.catalog import StoreConnected, StorePlatform, SyncKind

log = logging.getLogger(__name__)
LINK_SPENT = "This connection link expired or was used already; start connecting again."


@dataclass(frozen=True)
class Started:
    state: str
    consent: Consent


@dataclass(frozen=True)
class Authorization:
    authorize_url: str
    expires_in: int


@dataclass(frozen=True)
class Connection:
    """A connection recorded, before its webhooks are subscribed."""

    store: Store
    credentials: Credentials
    webhook_token: str | None  # a secret of the webhook URL, where the platform signs nothing


def callback_url(a: Adapters, platform: StorePlatform) -> str:
    return f"{a.settings.public_api_url}/v1/stores/oauth/{platform.value}/callback"


async def consent(a: Adapters, platform: StorePlatform, domain: str | None) -> Started:
    """Where to send the merchant's browser, with a fresh single-use `state`."""
    state = secrets.token_hex(32)  # hex: Salla strips hyphens from the state it hands back
    connecting = a.platforms[platform].connecting
    return Started(state, await connecting.consent(state=state, domain=domain, callback_url=callback_url(a, platform)))


async def remember(tx: AsyncConnection, a: Adapters, platform: StorePlatform, started: Started, workspace_id: UUID,
                   user_id: UUID | None) -> Authorization:
    """Keep the consent under way (by its state's hash) until the platform calls back."""
    pending = PendingConnection(workspace_id, platform, started.consent.domain, user_id, started.consent.redirect_uri)
    await a.pending.add(tx, secret_hash(started.state), pending, a.settings.oauth_state_ttl_seconds)
    return Authorization(started.consent.url, a.settings.oauth_state_ttl_seconds)


async def spend_state(tx: AsyncConnection, a: Adapters, platform: StorePlatform, query: Mapping[str, str]) -> PendingConnection:
    """The platform sent the merchant back: check the callback and spend its single-use state."""
    a.platforms[platform].connecting.check_callback(query)
    if query.get("error"):
        raise ConnectionRefused(f"The platform did not authorize ADLY: {query.get('error_description') or query['error']}")
    state, code = query.get("state"), query.get("code")
    if not state or not code:
        raise ConnectionRefused("The callback has no state or code.")
    pending = await a.pending.take(tx, secret_hash(state), platform)
    if pending is None:
        raise ConnectionRefused(LINK_SPENT)
    return pending


async def exchange(a: Adapters, platform: StorePlatform, query: Mapping[str, str], pending: PendingConnection) -> Grant:
    """The callback's code for credentials, and what the store says about itself."""
    return await a.platforms[platform].connecting.exchange(query, pending)


def _keys(a: Adapters, platform: StorePlatform) -> KeyConnecting:
    keys = a.platforms[platform].keys
    if keys is None:
        raise ConnectionRefused("This platform connects another way.")
    return keys


async def grant_from_keys(a: Adapters, platform: StorePlatform, site_url: str, consumer_key: str,
                          consumer_secret: str) -> Grant:
    """Keys the merchant made in the store's admin, checked against the store."""
    keys = _keys(a, platform)
    credentials = keys.credentials_from_keys(consumer_key, consumer_secret)
    return Grant(credentials, await keys.verify_keys(site_url, credentials))


def keys_sent(a: Adapters, platform: StorePlatform, state: str, body: bytes) -> Credentials:
    """The keys a store POSTed (unsigned) to the callback URL that holds our single-use state."""
    sent_for, credentials = _keys(a, platform).keys_sent(body)
    if not secrets.compare_digest(sent_for, state):
        raise ConnectionRefused("The keys were sent for another connection.")
    return credentials


async def spend_keys_state(tx: AsyncConnection, a: Adapters, platform: StorePlatform, state: str) -> PendingConnection:
    pending = await a.pending.take(tx, secret_hash(state), platform)
    if pending is None or pending.domain is None:
        raise ConnectionRefused(LINK_SPENT)
    return pending


async def grant_from_sent_keys(a: Adapters, pending: PendingConnection, credentials: Credentials) -> Grant:
    return Grant(credentials, await _keys(a, pending.platform).verify_keys(pending.domain or "", credentials))


async def record_connection(tx: AsyncConnection, a: Adapters, workspace_id: UUID, platform: StorePlatform,
                            grant: Grant, user_id: UUID | None) -> Connection:
    """StoreConnected (unless the store is connected here already) and the sealed credentials."""
    connecting = a.platforms[platform].connecting
    credentials = grant.credentials
    if connecting.own_webhook_secret and "webhook_secret" not in credentials.extra:
        credentials = replace(credentials, extra={**credentials.extra, "webhook_secret": secrets.token_urlsafe(32)})
    info = grant.info
    existing = await a.stores.by_domain(tx, platform, info.domain)
    event = StoreConnected(platform=platform, domain=info.domain, name=info.name, currency=info.currency,
                           connected_by=user_id)
    decided = store_rules.connect_store(existing.state if existing else None, workspace_id, event)
    mine = existing if existing is not None and existing.workspace_id == workspace_id else None
    store_id = mine.id if mine else uuid4()
    if decided is not None:
        await a.stores.record_connected(tx, store_id, workspace_id, mine.version if mine else 0, decided)
    await a.vault.save(tx, workspace_id, store_id, credentials)
    token = secrets.token_urlsafe(32) if connecting.url_token else None
    return Connection(await _store(tx, a, store_id), credentials, token)


async def subscribe_webhooks(a: Adapters, connection: Connection) -> list[str]:
    """Best effort: a store whose webhooks could not be set still syncs on schedule."""
    store = connection.store
    connecting = a.platforms[store.platform].connecting
    base = f"{a.settings.public_api_url}/v1/stores/webhooks/{store.platform.value}"
    try:
        return await connecting.subscribe_webhooks(store.address, connection.credentials,
                                                   connecting.webhook_url(base, store.id, connection.webhook_token))
    except Exception as error:  # noqa: BLE001 - the connection stands; incremental syncs catch up
        log.warning("webhook subscription failed", extra={"store": str(store.id), "error": type(error).__name__})
        return []


async def start_syncing(tx: AsyncConnection, a: Adapters, connection: Connection, webhook_ids: list[str],
                        user_id: UUID | None) -> Store:
    """The webhooks held, and the first full sync queued."""
    store, token = connection.store, connection.webhook_token
    await a.stores.set_webhooks(tx, store.id, webhook_ids, secret_hash(token) if token else None)
    await a.syncs.queue(tx, store.id, store.workspace_id, SyncKind.FULL, None, user_id)
    return await _store(tx, a, store.id)


async def _store(tx: AsyncConnection, a: Adapters, store_id: UUID) -> Store:
    store = await a.stores.get(tx, store_id)
    if store is None:
        raise LookupError(f"store {store_id} was recorded in this transaction and is gone")
    return store
