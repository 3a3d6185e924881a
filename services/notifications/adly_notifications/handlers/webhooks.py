"""Webhook endpoints and their deliveries (docs/notifications.md#webhooks).

A workspace registers endpoints and gets each one's signing secret once; a notice becomes
one delivery per enabled endpoint that wants its kind, in the notice's transaction; the
runner (entrypoints/runners.py) claims a due delivery, `attempt`s it between transactions
and `settle`s the outcome: delivered, due again after the schedule's delay, or failed, and
the endpoint disabled once it has failed for too long.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events.contracts.notifications import WebhookEndpointDisabled
from adly_kit.errors import Conflict, InvalidInput, NotFound
from adly_notifications.adapters.container import Adapters
from adly_notifications.domain.kinds import KINDS
from adly_notifications.domain.notices import Notice
from adly_notifications.domain.webhooks import (
    DeliveryLog,
    Endpoint,
    Outcome,
    Target,
    chosen_kinds,
    delivery_body,
    new_secret,
    reachable,
    retiring_at,
    retry_delay,
    should_disable,
    target_of,
)
from adly_notifications.handlers.ports import DueDelivery


@dataclass(frozen=True)
class Registered:
    endpoint: Endpoint
    secret: str             # shown once, never again


@dataclass(frozen=True)
class Change:
    """A PATCH: what is None stays as it is."""

    target: Target | None = None
    kinds: Collection[str] | None = None
    description: str | None = None
    enabled: bool | None = None


# ----------------------------------------------------------------------------- endpoints


async def checked_target(a: Adapters, url: str) -> Target:
    """The URL's target once its name resolves to public addresses only. Called before the
    transaction: resolving a name may take a while."""
    target = target_of(url, a.settings.webhook_private_hosts)
    if target.private_allowed:
        return target
    addresses = await a.webhook_sender.addresses(target.host)
    if not addresses:
        raise InvalidInput(f"{target.host} does not resolve to an address.", field="url")
    if not reachable(target, addresses):
        raise InvalidInput(f"{target.host} resolves to a private or reserved address: webhooks go to public "
                           "addresses only.", field="url")
    return target


async def register(tx: AsyncConnection, a: Adapters, workspace_id: UUID, target: Target, kinds: Collection[str],
                   description: str, by: str) -> Registered:
    endpoint = Endpoint(uuid.uuid4(), workspace_id, target.url, chosen_kinds(kinds, KINDS), description, True)
    secret = new_secret()
    await a.webhooks.add(tx, endpoint, secret, by)
    found = await a.webhooks.get(tx, workspace_id, endpoint.id)
    assert found is not None
    return Registered(found, secret)


async def get(tx: AsyncConnection, a: Adapters, workspace_id: UUID, endpoint_id: UUID) -> Endpoint:
    endpoint = await a.webhooks.get(tx, workspace_id, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


async def listed(tx: AsyncConnection, a: Adapters, workspace_id: UUID) -> list[Endpoint]:
    return await a.webhooks.all(tx, workspace_id)


async def update(tx: AsyncConnection, a: Adapters, workspace_id: UUID, endpoint_id: UUID, change: Change) -> Endpoint:
    """Enabling a disabled endpoint resumes its waiting deliveries; disabling holds them."""
    endpoint = await get(tx, a, workspace_id, endpoint_id)
    changed = replace(
        endpoint,
        url=change.target.url if change.target else endpoint.url,
        kinds=chosen_kinds(change.kinds, KINDS) if change.kinds is not None else endpoint.kinds,
        description=endpoint.description if change.description is None else change.description)
    if change.enabled is True and not endpoint.enabled:
        changed = replace(changed, enabled=True, disabled_reason=None, failing_since=None)
    elif change.enabled is False and endpoint.enabled:
        changed = replace(changed, enabled=False, disabled_reason="disabled by a member")
    await a.webhooks.save(tx, changed)
    if changed.enabled and not endpoint.enabled:
        await a.webhooks.resume(tx, endpoint.id)
    elif endpoint.enabled and not changed.enabled:
        await a.webhooks.pause(tx, endpoint.id)
    return await get(tx, a, workspace_id, endpoint_id)


async def delete(tx: AsyncConnection, a: Adapters, workspace_id: UUID, endpoint_id: UUID) -> None:
    """The endpoint, its secrets and its deliveries: nothing more is sent to it."""
    if not await a.webhooks.remove(tx, workspace_id, endpoint_id):
        raise NotFound("No such webhook endpoint.")


async def rotate_secret(tx: AsyncConnection, a: Adapters, workspace_id: UUID, endpoint_id: UUID,
                        now: datetime) -> str:
    """A new secret, shown once; the previous one keeps signing for the overlap."""
    endpoint = await get(tx, a, workspace_id, endpoint_id)
    secret = new_secret()
    await a.webhooks.rotate(tx, endpoint.id, secret, retiring_at(now, a.settings.webhook_secret_overlap_hours))
    return secret


async def deliveries(tx: AsyncConnection, a: Adapters, workspace_id: UUID, endpoint_id: UUID, limit: int,
                     before: UUID | None) -> list[DeliveryLog]:
    endpoint = await get(tx, a, workspace_id, endpoint_id)
    return await a.webhooks.log(tx, endpoint.id, limit, before)


async def redeliver(tx: AsyncConnection, a: Adapters, workspace_id: UUID, endpoint_id: UUID,
                    delivery_id: UUID) -> None:
    """The same delivery (same `webhook-id`, same body) tried again now, with a fresh schedule."""
    endpoint = await get(tx, a, workspace_id, endpoint_id)
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled: enable it first.", code="webhook-disabled")
    if not await a.webhooks.redeliver(tx, endpoint.id, delivery_id):
        raise NotFound("No such delivery.")


# ----------------------------------------------------------------------------- deliveries


async def enqueue(tx: AsyncConnection, a: Adapters, notice: Notice) -> int:
    """One delivery per enabled endpoint of the notice's workspace that wants its kind; a
    replayed notice (same id, so same `webhook-id`) adds none. How many were added."""
    body = delivery_body(notice.kind, notice.occurred_at, notice.data)
    return await a.webhooks.enqueue(tx, notice.id, notice.workspace_id, notice.kind, body)


async def claimed(tx: AsyncConnection, a: Adapters, delivery_ids: Sequence[UUID], worker: str) -> list[DueDelivery]:
    """The claimed deliveries still due, with their endpoints and signing secrets."""
    return await a.webhooks.due(tx, delivery_ids, worker)


async def attempt(a: Adapters, due: DueDelivery) -> Outcome:
    """One signed POST, outside any transaction."""
    try:
        target = target_of(due.endpoint.url, a.settings.webhook_private_hosts)
    except InvalidInput as refused:  # the allowed private hosts changed since it was registered
        return Outcome(None, 0, error=f"refused: {refused}")
    return await a.webhook_sender.send(target, due.webhook_id, due.body, due.secrets)


async def settle(tx: AsyncConnection, a: Adapters, due: DueDelivery, outcome: Outcome, now: datetime) -> str:
    """Record the attempt; the delivery's new state: `delivered`, `pending` (due again after the
    schedule's delay), `failed` (the schedule is spent) or `waiting` (the endpoint is disabled).

    The endpoint's row is touched before the delivery's, as `disable` does (it holds the
    endpoint, then moves its deliveries to waiting): one order of locks, so no deadlock."""
    if outcome.delivered:
        await a.webhooks.succeeded(tx, due.endpoint.id)
        await a.webhooks.record(tx, due, outcome, "delivered", None)
        return "delivered"
    failing_since = await a.webhooks.failing(tx, due.endpoint.id)
    delay = retry_delay(due.tries + 1, a.settings.webhook_retry_delays, a.webhook_random)
    state = "failed" if delay is None else "pending" if failing_since is not None else "waiting"
    if failing_since is not None and should_disable(failing_since, now, a.settings.webhook_disable_after_hours):
        await disable(tx, a, due.endpoint, failing_since, reason_of(outcome))
        state = "waiting" if state == "pending" else state
    await a.webhooks.record(tx, due, outcome, state, delay if state == "pending" else None)
    return state


async def settle_delivered(tx: AsyncConnection, a: Adapters, finished: Sequence[tuple[DueDelivery, Outcome]]) -> None:
    """Many 2xx outcomes at once (the runner's common case): endpoints first, as in `settle`."""
    for endpoint_id in sorted({due.endpoint.id for due, _ in finished}):
        await a.webhooks.succeeded(tx, endpoint_id)
    await a.webhooks.delivered(tx, finished)


async def disable(tx: AsyncConnection, a: Adapters, endpoint: Endpoint, failing_since: datetime, reason: str) -> None:
    """Given up on: its deliveries wait, and WebhookEndpointDisabled tells its owners."""
    endpoint = await get(tx, a, endpoint.workspace_id, endpoint.id)  # as it is now, not as it was claimed
    await a.webhooks.save(tx, replace(endpoint, enabled=False, disabled_reason=reason, failing_since=failing_since))
    await a.webhooks.pause(tx, endpoint.id)
    await a.webhooks.record_events(tx, endpoint, [
        WebhookEndpointDisabled(endpoint_id=endpoint.id, reason=reason, failing_since=failing_since)])


def reason_of(outcome: Outcome) -> str:
    if outcome.status is not None:
        return f"answered HTTP {outcome.status}"
    return outcome.error or "no answer"
