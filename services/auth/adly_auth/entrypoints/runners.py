"""Long-running runners of the auth service, started with the worker role.

`send_mail` sends the mail queue. It owns its transactions, three short ones per mail and
none around the SMTP call: it claims the next due mail under a lease and commits (the
lease is the mail's `next_attempt_at`, moved past the send); it sends with no transaction
open, so a slow mail server holds no lock and no connection; then it records the outcome,
sent or failed with a backoff, and commits. A runner killed mid-send leaves the mail
claimed until the lease runs out; then this or another runner sends it again: a mail
goes out at least once, and twice only if its sender died between sending and recording.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import timedelta

from adly_auth.adapters.container import Adapters
from adly_kit.db import unit_of_work
from adly_kit.mail import MailRefused
from adly_kit.sql import utc_now

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 3600


async def send_mail(a: Adapters) -> None:
    """Send due mails until cancelled; woken when a mail is queued, else every `mail_poll_seconds`."""
    async with a.mail_delivery.wakeups() as queued:
        while True:
            queued.clear()
            while await send_next_mail(a):
                pass
            with suppress(TimeoutError):
                await asyncio.wait_for(queued.wait(), a.settings.mail_poll_seconds)


async def send_next_mail(a: Adapters) -> bool:
    """Send the next due mail; False when none is due."""
    # Each SMTP step may take the timeout; a send is abandoned at half its lease, so no
    # other runner claims a mail this one is still sending.
    lease = timedelta(seconds=10 * a.settings.smtp_timeout_seconds)
    async with unit_of_work(a.engine) as tx:
        due = await a.mail_delivery.claim_next(tx, lease)
    if due is None:
        return False
    attempts = due.attempts + 1
    try:
        async with asyncio.timeout(lease.total_seconds() / 2):
            await a.mail_delivery.send(due)
    except Exception as error:
        # MailRefused's reason names the SMTP stage and answer, addresses cut to their domain;
        # a permanent refusal (5xx to RCPT or DATA) would be refused again, so it is given up.
        refused = error if isinstance(error, MailRefused) else None
        reason = refused.reason if refused else type(error).__name__
        give_up = attempts >= a.settings.mail_max_attempts or bool(refused and refused.permanent)
        log.warning("mail not sent", extra={"mail_id": str(due.id), "attempts": attempts, "error": reason})
        retry_at = utc_now() + timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2**attempts))
        async with unit_of_work(a.engine) as tx:
            await a.mail_delivery.failed(tx, due.id, attempts, reason, retry_at=retry_at, give_up=give_up)
        return True
    async with unit_of_work(a.engine) as tx:
        await a.mail_delivery.sent(tx, due.id, attempts)
    log.info("mail sent", extra={"mail_id": str(due.id)})
    return True
