"""The webhook handlers on in-memory ports: registering, changing, and what an outcome leads to."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from adly_events.contracts.notifications import WebhookEndpointDisabled
from adly_kit.errors import Conflict, InvalidInput
from adly_kit.testing.doubles import NO_DATABASE
from adly_notifications.domain.notices import Notice
from adly_notifications.domain.webhooks import Outcome
from adly_notifications.handlers import webhooks

from .webhook_doubles import NOW, MemoryWebhooks, ScriptedSender, adapters

WORKSPACE = uuid.uuid4()


@pytest.fixture
def store() -> MemoryWebhooks:
    return MemoryWebhooks()


@pytest.fixture
def sender() -> ScriptedSender:
    return ScriptedSender({"hooks.shop.example": ["93.184.216.34"], "inside.shop.example": ["93.184.216.34", "10.0.0.7"]})


async def an_endpoint(store: MemoryWebhooks, sender: ScriptedSender, kinds: list[str] | None = None) -> uuid.UUID:
    a = adapters(store, sender)
    target = await webhooks.checked_target(a, "https://hooks.shop.example/adly")
    made = await webhooks.register(NO_DATABASE, a, WORKSPACE, target, kinds or [], "orders", "user-1")
    assert made.secret.startswith("whsec_")
    return made.endpoint.id


def a_notice(kind: str = "sync.failed") -> Notice:
    return Notice(kind=kind, workspace_id=WORKSPACE, source_event_id=uuid.uuid4(), occurred_at=datetime.now(UTC),
                  data={"reason": "token expired"})


async def one_attempt(store: MemoryWebhooks, sender: ScriptedSender, outcome: Outcome, **settings: object) -> str:
    a = adapters(store, sender, randomness=0.0, **settings)
    (due,) = await webhooks.claimed(NO_DATABASE, a, [d.id for d in store.deliveries if d.state == "pending"], "w")
    return await webhooks.settle(NO_DATABASE, a, due, outcome, NOW)


async def test_a_name_with_any_private_address_or_none_is_refused_at_registration(store: MemoryWebhooks,
                                                                                 sender: ScriptedSender) -> None:
    a = adapters(store, sender)
    for url in ("https://inside.shop.example/", "https://nowhere.shop.example/"):
        with pytest.raises(InvalidInput) as refused:
            await webhooks.checked_target(a, url)
        assert refused.value.path == "body/url"


async def test_a_notice_makes_one_delivery_per_endpoint_that_wants_its_kind_with_the_documented_body(
        store: MemoryWebhooks, sender: ScriptedSender) -> None:
    await an_endpoint(store, sender)
    await an_endpoint(store, sender, ["campaign.published"])
    notice = a_notice()
    assert await webhooks.enqueue(NO_DATABASE, adapters(store, sender), notice) == 1
    assert await webhooks.enqueue(NO_DATABASE, adapters(store, sender), notice) == 0
    (delivery,) = store.deliveries
    assert delivery.webhook_id == notice.id
    assert json.loads(delivery.body) == {"type": "sync.failed", "timestamp": notice.occurred_at.isoformat(),
                                         "data": {"reason": "token expired"}}


async def test_a_failed_attempt_is_due_again_after_the_first_delay_less_a_fifth(store: MemoryWebhooks,
                                                                              sender: ScriptedSender) -> None:
    await an_endpoint(store, sender)
    await webhooks.enqueue(NO_DATABASE, adapters(store, sender), a_notice())
    assert await one_attempt(store, sender, Outcome(500, 12, "down")) == "pending"
    assert store.deliveries[0].retry_in == pytest.approx(4.0)


async def test_the_delivery_fails_when_the_schedule_is_spent(store: MemoryWebhooks, sender: ScriptedSender) -> None:
    await an_endpoint(store, sender)
    await webhooks.enqueue(NO_DATABASE, adapters(store, sender), a_notice())
    states = [await one_attempt(store, sender, Outcome(None, 10_000, error="timed out")) for _ in range(8)]
    assert states == ["pending"] * 7 + ["failed"]
    assert store.deliveries[0].retry_in is None


async def test_a_success_clears_the_endpoints_failing_clock(store: MemoryWebhooks, sender: ScriptedSender) -> None:
    endpoint_id = await an_endpoint(store, sender)
    await webhooks.enqueue(NO_DATABASE, adapters(store, sender), a_notice())
    await one_attempt(store, sender, Outcome(503, 3))
    assert store.endpoints[endpoint_id].failing_since == NOW
    assert await one_attempt(store, sender, Outcome(204, 3)) == "delivered"
    assert store.endpoints[endpoint_id].failing_since is None


async def test_an_endpoint_failing_for_72_hours_is_disabled_its_deliveries_wait_and_its_owners_are_told(
        store: MemoryWebhooks, sender: ScriptedSender) -> None:
    endpoint_id = await an_endpoint(store, sender)
    a = adapters(store, sender)
    await webhooks.enqueue(NO_DATABASE, a, a_notice())
    store.failing_for(endpoint_id, hours=72)
    assert await one_attempt(store, sender, Outcome(410, 3)) == "waiting"
    endpoint = store.endpoints[endpoint_id]
    assert not endpoint.enabled and endpoint.disabled_reason == "answered HTTP 410"
    ((about, event),) = store.events
    assert about == endpoint_id and isinstance(event, WebhookEndpointDisabled)
    with pytest.raises(Conflict):
        await webhooks.redeliver(NO_DATABASE, a, WORKSPACE, endpoint_id, store.deliveries[0].id)

    enabled = await webhooks.update(NO_DATABASE, a, WORKSPACE, endpoint_id, webhooks.Change(enabled=True))
    assert enabled.enabled and enabled.failing_since is None and enabled.disabled_reason is None
    assert [d.state for d in store.deliveries] == ["pending"]


async def test_an_endpoint_failing_for_less_than_72_hours_stays_enabled(store: MemoryWebhooks,
                                                                       sender: ScriptedSender) -> None:
    endpoint_id = await an_endpoint(store, sender)
    await webhooks.enqueue(NO_DATABASE, adapters(store, sender), a_notice())
    store.failing_for(endpoint_id, hours=71.9)
    assert await one_attempt(store, sender, Outcome(500, 3)) == "pending"
    assert store.endpoints[endpoint_id].enabled and store.events == []


async def test_a_member_disabling_an_endpoint_holds_its_deliveries(store: MemoryWebhooks,
                                                                  sender: ScriptedSender) -> None:
    endpoint_id = await an_endpoint(store, sender)
    a = adapters(store, sender)
    await webhooks.enqueue(NO_DATABASE, a, a_notice())
    await webhooks.update(NO_DATABASE, a, WORKSPACE, endpoint_id, webhooks.Change(enabled=False))
    assert [d.state for d in store.deliveries] == ["waiting"]
    assert await webhooks.enqueue(NO_DATABASE, a, a_notice()) == 0
