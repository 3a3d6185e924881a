"""Webhook deliveries on a real Postgres schema to a real receiver on 127.0.0.1 that verifies
every one with `standardwebhooks`. The tests drive the retry clock themselves: they make
the waiting retries due (`due_now`) and send what is due (`deliver_due`), never sleeping."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from adly_kit.db import unit_of_work
from adly_kit.testing.plugin import eventually
from adly_notifications.entrypoints.runners import deliver_due, deliver_webhooks
from adly_notifications.handlers import webhooks

from .webhook_world import Receiver, Service, a_notice, notifications_service, notifications_settings

Start = Callable[..., AbstractAsyncContextManager[Service]]


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def start(postgres_url: str, receiver: Receiver) -> Start:
    @asynccontextmanager
    async def started(**overrides: Any) -> AsyncIterator[Service]:
        settings = notifications_settings(postgres_url, webhook_private_hosts=[receiver.host_port], **overrides)
        async with notifications_service(settings) as service:
            yield service
    return started


@pytest.fixture
async def service(start: Start) -> AsyncIterator[Service]:
    async with start() as running:
        yield running


async def registered(service: Service, receiver: Receiver, workspace_id: UUID, kinds: list[str] | None = None) -> UUID:
    answer = await service.register(workspace_id, receiver.hook_url, kinds)
    assert answer.status_code == 201, answer.text
    receiver.secrets = [answer.json()["secret"]]
    return UUID(answer.json()["id"])


async def notify(service: Service, workspace_id: UUID, kind: str = "sync.failed") -> tuple[UUID, int]:
    notice = a_notice(workspace_id, kind)
    async with unit_of_work(service.a.engine) as tx:
        made = await webhooks.enqueue(tx, service.a, notice)
    return notice.id, made


async def log_of(service: Service, workspace_id: UUID, endpoint_id: UUID, **query: Any) -> dict[str, Any]:
    answer = await service.http.get(f"/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/deliveries",
                                    params=query, headers=service.member(workspace_id))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_receiver_answering_500_three_times_gets_the_same_webhook_id_four_times_and_nothing_more(
        service: Service, receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    endpoint_id = await registered(service, receiver, workspace_id)
    receiver.script = [500, 500, 500]
    webhook_id, made = await notify(service, workspace_id)
    assert made == 1

    assert await deliver_due(service.a) == ["pending"]
    (first_retry,) = await service.rows("""SELECT d.not_before - a.attempted_at FROM {s}.webhook_deliveries d
        JOIN {s}.webhook_attempts a ON a.delivery_id = d.id""")
    assert timedelta(seconds=4) <= first_retry[0] <= timedelta(seconds=6)  # 5 s +-20 %
    assert await deliver_due(service.a) == []  # not due yet
    for expected in ("pending", "pending", "delivered"):
        await service.due_now()
        assert await deliver_due(service.a) == [expected]
    for _ in range(3):
        await service.due_now()
        assert await deliver_due(service.a) == []

    assert receiver.ids() == [str(webhook_id)] * 4
    assert receiver.unverified == 0
    assert all(r.payload["type"] == "sync.failed" for r in receiver.received)
    assert len({r.body for r in receiver.received}) == 1  # the same bytes on every attempt
    (delivery,) = (await log_of(service, workspace_id, endpoint_id))["deliveries"]
    assert delivery["state"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 500, 200]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{other}/hooks", "https://127.0.0.1/hooks", "https://10.0.0.5/hooks",
    "https://169.254.169.254/latest/meta-data", "http://example.com/hooks", "https://localhost/hooks",
    "https://[::1]/hooks", "ftp://example.com/hooks", "https://user:pw@example.com/hooks",
])
async def test_an_endpoint_on_a_private_address_or_not_https_is_refused_naming_the_url(
        service: Service, receiver: Receiver, url: str) -> None:
    workspace_id = uuid.uuid4()
    answer = await service.register(workspace_id, url.format(other=receiver.port + 1))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["path"] for e in answer.json()["errors"]] == ["body/url"]
    listed = await service.http.get(f"/v1/workspaces/{workspace_id}/webhooks", headers=service.member(workspace_id))
    assert listed.json() == []


async def test_unknown_kinds_are_refused_and_chosen_kinds_filter_deliveries(service: Service,
                                                                            receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    wrong = await service.register(workspace_id, receiver.hook_url, ["sync.exploded"])
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["path"] == "body/kinds"
    await registered(service, receiver, workspace_id, ["campaign.published"])
    assert (await notify(service, workspace_id, "sync.failed"))[1] == 0
    assert (await notify(service, workspace_id, "campaign.published"))[1] == 1
    assert (await notify(service, uuid.uuid4(), "campaign.published"))[1] == 0  # another workspace


async def test_a_replayed_notice_makes_no_second_delivery(service: Service, receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    await registered(service, receiver, workspace_id)
    notice = a_notice(workspace_id)
    for expected in (1, 0):
        async with unit_of_work(service.a.engine) as tx:
            assert await webhooks.enqueue(tx, service.a, notice) == expected


async def test_a_name_that_resolves_to_a_private_address_at_delivery_time_is_not_called(
        service: Service, receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    endpoint_id = await registered(service, receiver, workspace_id)
    # Registered while it was public; by delivery time the name points inside.
    await service.run("UPDATE {s}.webhook_endpoints SET url = :url WHERE id = :id",
                      url=f"https://localhost:{receiver.port}/hooks", id=endpoint_id)
    await notify(service, workspace_id)
    assert await deliver_due(service.a) == ["pending"]
    assert receiver.received == []
    (delivery,) = (await log_of(service, workspace_id, endpoint_id))["deliveries"]
    (attempt,) = delivery["attempts"]
    assert attempt["status"] is None and "private address" in attempt["error"]


async def test_a_slow_receiver_times_out_and_is_retried(start: Start, receiver: Receiver) -> None:
    async with start(webhook_timeout_seconds=0.5) as service:
        workspace_id = uuid.uuid4()
        endpoint_id = await registered(service, receiver, workspace_id)
        receiver.slow.set()
        webhook_id, _ = await notify(service, workspace_id)
        assert await deliver_due(service.a) == ["pending"]
        receiver.slow.clear()
        await service.due_now()
        assert await deliver_due(service.a) == ["delivered"]
        assert receiver.ids() == [str(webhook_id)] * 2
        (delivery,) = (await log_of(service, workspace_id, endpoint_id))["deliveries"]
        timed_out, delivered = delivery["attempts"]
        assert timed_out["status"] is None and "timed out" in timed_out["error"]
        assert 400 <= timed_out["latency_ms"] < 2000
        assert delivered["status"] == 200


async def test_an_answer_larger_than_the_cap_is_cut(start: Start, receiver: Receiver) -> None:
    async with start(webhook_max_response_bytes=1024) as service:
        workspace_id = uuid.uuid4()
        endpoint_id = await registered(service, receiver, workspace_id)
        receiver.answer_bytes = 5_000_000
        await notify(service, workspace_id)
        assert await deliver_due(service.a) == ["delivered"]
        (delivery,) = (await log_of(service, workspace_id, endpoint_id))["deliveries"]
        (attempt,) = delivery["attempts"]
        assert attempt["status"] == 200
        assert attempt["response_excerpt"].startswith('{"ok": false')
        assert len(attempt["response_excerpt"]) == 512


async def test_during_a_rotation_overlap_a_delivery_verifies_with_the_old_and_the_new_secret(
        service: Service, receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    endpoint_id = await registered(service, receiver, workspace_id)
    rotated = await service.http.post(f"/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/secret",
                                      headers=service.member(workspace_id))
    assert rotated.status_code == 200, rotated.text
    old, new = receiver.secrets[0], rotated.json()["secret"]
    assert new != old and new.startswith("whsec_")
    receiver.secrets = [old, new]
    await notify(service, workspace_id)
    assert await deliver_due(service.a) == ["delivered"]
    assert receiver.received[0].verified_with == (0, 1)
    assert len(receiver.received[0].signature.split(" ")) == 2

    await service.run("UPDATE {s}.webhook_secrets SET retires_at = now() - interval '1 second' "
                      "WHERE retires_at IS NOT NULL")  # the overlap is over
    await notify(service, workspace_id)
    assert await deliver_due(service.a) == ["delivered"]
    assert receiver.received[1].verified_with == (1,)


async def test_the_delivery_log_shows_status_latency_and_an_excerpt_newest_first_in_pages(
        service: Service, receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    endpoint_id = await registered(service, receiver, workspace_id)
    receiver.script = [503]
    first, _ = await notify(service, workspace_id)
    second, _ = await notify(service, workspace_id, "campaign.published")
    await deliver_due(service.a)
    page = await log_of(service, workspace_id, endpoint_id, limit=1)
    (newest,) = page["deliveries"]
    assert newest["webhook_id"] == str(second) and newest["kind"] == "campaign.published"
    rest = await log_of(service, workspace_id, endpoint_id, limit=1, before=page["next_before"])
    (oldest,) = rest["deliveries"]
    assert oldest["webhook_id"] == str(first)
    failed = next(d for d in (newest, oldest) if d["state"] == "pending")
    (attempt,) = failed["attempts"]
    assert attempt["status"] == 503 and attempt["latency_ms"] >= 0
    assert attempt["response_excerpt"].startswith('{"ok": false')
    assert failed["next_attempt_at"] is not None
    assert "whsec_" not in str(page) + str(rest)


async def test_redelivery_keeps_the_webhook_id(service: Service, receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    endpoint_id = await registered(service, receiver, workspace_id)
    webhook_id, _ = await notify(service, workspace_id)
    assert await deliver_due(service.a) == ["delivered"]
    (delivery,) = (await log_of(service, workspace_id, endpoint_id))["deliveries"]
    again = await service.http.post(
        f"/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/deliveries/{delivery['id']}/redeliver",
        headers=service.member(workspace_id))
    assert again.status_code == 202, again.text
    assert await deliver_due(service.a) == ["delivered"]
    assert receiver.ids() == [str(webhook_id)] * 2
    assert receiver.unverified == 0
    (delivery,) = (await log_of(service, workspace_id, endpoint_id))["deliveries"]
    assert len(delivery["attempts"]) == 2


async def test_an_endpoint_failing_past_the_disable_window_is_disabled_and_that_is_recorded(
        service: Service, receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    endpoint_id = await registered(service, receiver, workspace_id)
    receiver.default = 500
    await notify(service, workspace_id)
    assert await deliver_due(service.a) == ["pending"]
    await service.run("UPDATE {s}.webhook_endpoints SET failing_since = now() - interval '73 hours'")
    await notify(service, workspace_id)
    await service.due_now()
    await deliver_due(service.a)

    endpoint = (await service.http.get(f"/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}",
                                       headers=service.member(workspace_id))).json()
    assert endpoint["enabled"] is False and endpoint["disabled_reason"] == "answered HTTP 500"
    events = await service.rows("SELECT event_type, aggregate_id FROM {s}.events")
    assert [(e[0], e[1]) for e in events] == [("WebhookEndpointDisabled", endpoint_id)]
    (outbox,) = await service.rows("SELECT topic FROM {s}.outbox")
    assert outbox[0] == "adly.notifications.webhook_endpoint"
    states = await service.rows("SELECT state FROM {s}.webhook_deliveries")
    assert {s[0] for s in states} == {"waiting"}
    assert (await notify(service, workspace_id))[1] == 0  # a disabled endpoint gets no new deliveries
    await service.due_now()
    assert await deliver_due(service.a) == []

    receiver.default = 200
    enabled = await service.http.patch(f"/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}",
                                       json={"enabled": True}, headers=service.member(workspace_id))
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    assert sorted(await deliver_due(service.a)) == ["delivered", "delivered"]


async def test_the_runner_delivers_at_once_when_woken_and_stops_cleanly(service: Service, receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    await registered(service, receiver, workspace_id)
    runner = asyncio.create_task(deliver_webhooks(service.a))
    try:
        await asyncio.sleep(0)
        webhook_id, _ = await notify(service, workspace_id)
        assert await eventually(lambda: _received(receiver), timeout=20)
        assert receiver.ids() == [str(webhook_id)]
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert runner.cancelled()


async def _received(receiver: Receiver) -> bool:
    return bool(receiver.received)


async def test_reading_needs_webhooks_read_and_changing_needs_a_manager_with_two_factor(
        service: Service, receiver: Receiver) -> None:
    workspace_id = uuid.uuid4()
    endpoint_id = await registered(service, receiver, workspace_id)
    base = f"/v1/workspaces/{workspace_id}/webhooks"
    marketer = service.member(workspace_id, role="marketer")
    assert (await service.http.get(base, headers=marketer)).status_code == 403
    no_2fa = service.member(workspace_id, mfa=False)
    assert (await service.http.get(base, headers=no_2fa)).status_code == 200
    assert (await service.http.delete(f"{base}/{endpoint_id}", headers=no_2fa)).status_code == 403
    assert (await service.http.get(base, headers=service.member(uuid.uuid4()))).status_code == 404
    assert (await service.http.delete(f"{base}/{endpoint_id}", headers=service.member(workspace_id))).status_code == 204
    assert (await service.http.get(f"{base}/{endpoint_id}", headers=service.member(workspace_id))).status_code == 404


async def test_an_endpoint_deleted_while_its_delivery_is_in_flight_leaves_nothing_behind(
        service: Service, receiver: Receiver) -> None:
    from adly_notifications.entrypoints.runners import Deliverer

    workspace_id = uuid.uuid4()
    endpoint_id = await registered(service, receiver, workspace_id)
    receiver.script = [500]
    await notify(service, workspace_id)
    await notify(service, workspace_id)
    deliverer = Deliverer(service.a)
    claimed = await deliverer.claim(10)
    await asyncio.gather(*(deliverer.send(due) for due in claimed))
    deleted = await service.http.delete(f"/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}",
                                        headers=service.member(workspace_id))
    assert deleted.status_code == 204
    assert sorted((await deliverer.record()).values()) == ["delivered", "waiting"]
    assert await service.rows("SELECT * FROM {s}.webhook_deliveries") == []
    assert await service.rows("SELECT * FROM {s}.webhook_attempts") == []
