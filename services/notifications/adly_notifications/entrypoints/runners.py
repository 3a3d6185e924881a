"""Long-running runners of the notifications service (worker role).

`send_mail` works off the mails table (adly_kit.worklist; handlers/mail.py says how one mail
is sent) and `schedule_digests` queues each member's daily digest when their clock passes the
send hour (every `digest_check_seconds`).

`deliver_webhooks` sends the deliveries work table (adly_kit.worklist): it claims due
deliveries under a lease (FOR UPDATE SKIP LOCKED, so any number of workers share it), reads
them with their endpoints and secrets in the same short transaction, and sends up to
`webhook_concurrency` at once with no transaction open. Outcomes are recorded as they come
in (`Deliverer.record`): the 2xx ones that arrived together in one short transaction, every
other one in a transaction of its own (it moves the retry clock, and may disable its
endpoint). A worker killed mid-send leaves its deliveries leased until the lease runs out;
then they are sent again with the same `webhook-id` (at least once). The deliveries' insert
trigger NOTIFYs at commit, so a new delivery goes out within milliseconds; retries fall due
with time and are found by polling every `POLL_SECONDS`. Cancelling the runner cancels the
sends in flight and records what had already been answered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from uuid import UUID

import asyncpg

from adly_kit.db import unit_of_work
from adly_kit.sql import utc_now
from adly_kit.worklist import run_worklist, worker_name
from adly_notifications.adapters.container import Adapters
from adly_notifications.adapters.mail_store import mails_channel
from adly_notifications.adapters.webhook_store import deliveries_channel
from adly_notifications.domain.mailing import newest_digest_day
from adly_notifications.domain.webhooks import Outcome
from adly_notifications.handlers import mail, webhooks
from adly_notifications.handlers.ports import DueDelivery, LeaseLost

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0   # the longest a retry that fell due waits for a worker
DIGEST_PAGE = 500    # members looked at per query, and at most the contacts asked of auth at once


async def deliver_webhooks(a: Adapters) -> None:
    """Deliver until cancelled."""
    async with wakeups(a, deliveries_channel(a.settings.schema), "webhooks") as wake:
        await Deliverer(a, wake).run()


async def send_mail(a: Adapters) -> None:
    """Send queued mail until cancelled, `mail_concurrency` at a time."""
    async with wakeups(a, mails_channel(a.settings.schema), "mail") as wake:
        async def work(item: UUID, worker: str) -> None:
            await send_one_mail(a, item, worker)

        await run_worklist(a.engine, a.mail_queue, work, concurrency=a.settings.mail_concurrency,
                           poll_seconds=POLL_SECONDS, wake=wake)


async def schedule_digests(a: Adapters) -> None:
    """Queue the digests that fell due, every `digest_check_seconds`, until cancelled."""
    while True:
        try:
            await queue_digests(a, utc_now())
        except Exception:  # auth or the database away: the next round catches up
            log.exception("queueing daily digests failed; trying again next round")
        await asyncio.sleep(a.settings.digest_check_seconds)


async def queue_digests(a: Adapters, now: datetime) -> int:
    """One round: the digests due at `now` queued, a page of members at a time; how many."""
    day, after, queued = newest_digest_day(now), None, 0
    while True:
        async with unit_of_work(a.engine) as tx:
            page = await a.mails.awaiting_digest(tx, day, after, DIGEST_PAGE)
        due = await mail.digests_due(a, page, now)
        async with unit_of_work(a.engine) as tx:
            queued += await a.mails.enqueue(tx, due)
        if len(page) < DIGEST_PAGE:
            return queued
        after = page[-1]


async def send_one_mail(a: Adapters, mail_id: UUID, worker: str) -> str | None:
    """One claimed mail: read, sent, settled; its state after (None: not pending any more)."""
    async with unit_of_work(a.engine) as tx:
        found = await mail.claimed(tx, a, mail_id, worker)
    if found is None:
        return None
    due, wanted = found

    async def hand_over() -> None:
        async with unit_of_work(a.engine) as tx:
            if not await a.mails.handing_over(tx, due.id, worker):
                raise LeaseLost(str(due.id))

    outcome = await mail.attempt(a, due, wanted, hand_over)
    async with unit_of_work(a.engine) as tx:
        state = await mail.settle(tx, a, due, outcome)
    if state != "sent":
        log.info("mail not sent", extra={"mail": str(due.id), "kind": due.kind, "state": state, "error": outcome.error})
    return state


async def send_due_mail(a: Adapters, limit: int = 1000) -> list[str | None]:
    """Every mail due now, once each, in the order queued; their new states (tests and commands
    drive the retry clock with this instead of waiting for the runner)."""
    worker, states = worker_name(), list[str | None]()
    while len(states) < limit:
        async with unit_of_work(a.engine) as tx:
            claimed = await a.mail_queue.claim(tx, worker, min(a.settings.mail_concurrency, limit - len(states)))
        if not claimed:
            break
        states += [await send_one_mail(a, item, worker) for item in claimed]
    return states


@asynccontextmanager
async def wakeups(a: Adapters, channel: str, purpose: str) -> AsyncIterator[asyncio.Event]:
    """Set when work is queued (LISTEN on the table's channel), so none waits for a poll."""
    wake = asyncio.Event()
    listener = await asyncpg.connect(
        a.settings.asyncpg_dsn, server_settings={"application_name": f"adly-{a.settings.schema}-{purpose}"})
    try:
        await listener.add_listener(channel, lambda *_: wake.set())
        yield wake
    finally:
        await listener.close()


class Deliverer:
    """Claims due deliveries, sends them, records what came of them.

    Outcomes that arrive together are recorded together: the 2xx ones in one short
    transaction (two statements for all of them), each other outcome in one of its own, as
    it may move the retry clock or disable its endpoint. At a thousand deliveries a second
    a transaction per success would cost more than the POSTs do."""

    def __init__(self, a: Adapters, wake: asyncio.Event | None = None) -> None:
        self.a = a
        self.worker = worker_name()
        self.wake = wake or asyncio.Event()
        self.finished: list[tuple[DueDelivery, Outcome]] = []

    async def run(self) -> None:
        sending: set[asyncio.Task[None]] = set()
        try:
            while True:
                self.wake.clear()
                try:
                    if self.finished:
                        await self.record()
                    free = self.a.settings.webhook_concurrency - len(sending)
                    claimed = await self.claim(free) if free > 0 else []
                except Exception:  # the database went away: what was not recorded is sent again later
                    log.exception("webhook runner step failed; trying again")
                    await asyncio.sleep(POLL_SECONDS)
                    continue
                for due in claimed:
                    task = asyncio.create_task(self.send(due))
                    sending.add(task)
                    task.add_done_callback(sending.discard)
                if claimed and len(claimed) == free:
                    continue  # there may be more waiting
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)
        finally:
            for task in sending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            if self.finished:  # what was sent is recorded, so a stop sends nothing twice
                with suppress(Exception):
                    await asyncio.wait_for(self.record(), 5)

    async def claim(self, limit: int) -> list[DueDelivery]:
        a = self.a
        async with unit_of_work(a.engine) as tx:
            ids = await a.webhook_queue.claim(tx, self.worker, limit)
            due = await webhooks.claimed(tx, a, ids, self.worker) if ids else []
            for gone in set(ids) - {d.id for d in due}:  # deleted or paused meanwhile
                await a.webhook_queue.release(tx, gone, self.worker)
        return due

    async def send(self, due: DueDelivery) -> None:
        try:
            outcome = await webhooks.attempt(self.a, due)
        except Exception as error:  # a fault of ours: recorded as a failed attempt, retried on schedule
            log.exception("webhook attempt failed", extra={"delivery": str(due.id)})
            outcome = Outcome(None, 0, error=f"internal error: {type(error).__name__}")
        self.finished.append((due, outcome))
        self.wake.set()

    async def record(self) -> dict[UUID, str]:
        """Every outcome that came in since the last call; each delivery's new state."""
        a, (finished, self.finished) = self.a, (self.finished, [])
        delivered = [(due, outcome) for due, outcome in finished if outcome.delivered]
        states: dict[UUID, str] = {}
        if delivered:
            try:
                async with unit_of_work(a.engine) as tx:
                    await webhooks.settle_delivered(tx, a, delivered)
                states |= {due.id: "delivered" for due, _ in delivered}
            except Exception:
                log.exception("recording deliveries failed; each is recorded on its own")
                finished = [*delivered, *finished]
        for due, outcome in finished:
            if due.id in states:
                continue
            async with unit_of_work(a.engine) as tx:
                states[due.id] = await webhooks.settle(tx, a, due, outcome, utc_now())
            if states[due.id] != "delivered":
                log.info("webhook delivery not delivered", extra={
                    "delivery": str(due.id), "status": outcome.status, "error": outcome.error,
                    "state": states[due.id]})
        return states


async def deliver_due(a: Adapters, limit: int = 1000) -> list[str]:
    """Every delivery due now, once each, at most `webhook_concurrency` at a time; their new
    states in the order claimed (tests and commands drive the retry clock with this instead
    of waiting for the runner)."""
    deliverer, states = Deliverer(a), list[str]()
    while len(states) < limit:
        claimed = await deliverer.claim(min(a.settings.webhook_concurrency, limit - len(states)))
        if not claimed:
            break
        await asyncio.gather(*(deliverer.send(due) for due in claimed))
        recorded = await deliverer.record()
        states += [recorded[due.id] for due in claimed]
    return states
