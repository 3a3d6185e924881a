"""Mail (docs/notifications.md#email): queued with the notice, sent by the mail runner.

A notice queues one mail per member told by email, in the consumed event's transaction; the
digest scheduler queues each member's digest once their own clock passes the send hour. The
runner (entrypoints/runners.py) sends a mail in three short transactions with none held across
the network: read it, note the hand-over just before the server gets the message (SMTP DATA),
settle it. The
address, language and time zone come from auth at send time and are not kept; preferences
are read again then, so an unsubscribe stops a mail already queued.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_kit.mail import MailRefused, domain_of
from adly_notifications.adapters.container import Adapters
from adly_notifications.domain.audience import Member, recipients
from adly_notifications.domain.kinds import KINDS, LANGUAGES
from adly_notifications.domain.letters import Letter, Recipient, digest_letter, notice_letter
from adly_notifications.domain.mailing import (
    DIGEST,
    digest_due,
    digest_mail_id,
    notice_mail_id,
    retry_in,
)
from adly_notifications.domain.notices import Notice
from adly_notifications.domain.unsubscribe import unsubscribe_token
from adly_notifications.handlers.ports import DueMail, LeaseLost, NewMail, Unavailable

log = logging.getLogger(__name__)


async def enqueue(tx: AsyncConnection, a: Adapters, notice: Notice, members: Sequence[Member]) -> int:
    """One mail per member told of the notice by email (their preference read now, and again at send)."""
    kind = KINDS[notice.kind]
    if "email" not in kind.channels:
        return 0
    turned_off = await a.preferences.turned_off(tx, notice.workspace_id, kind.name, "email")
    to = recipients(kind, notice, members, turned_off)
    return await a.mails.enqueue(tx, [
        NewMail(notice_mail_id(notice.id, user), notice.workspace_id, user, kind.name, notice.id,
                notice.params, notice.link) for user in to])


async def digests_due(a: Adapters, page: Sequence[tuple[UUID, UUID]], now: datetime) -> list[NewMail]:
    """Of the members awaiting a digest (workspace, user), the digests due now: each member whose
    own clock has passed the send hour gets their yesterday's. Auth is asked for the time zones,
    one call per workspace; a workspace auth does not answer for waits for the next round."""
    due: list[NewMail] = []
    for workspace_id in dict.fromkeys(w for w, _ in page):
        users = [u for w, u in page if w == workspace_id]
        try:
            contacts = await a.contacts.contacts(workspace_id, users)
        except Unavailable as error:
            log.warning("digests of a workspace wait: %s", error, extra={"workspace_id": str(workspace_id)})
            continue
        due += [NewMail(digest_mail_id(workspace_id, user, covers), workspace_id, user, DIGEST, day=covers)
                for user, contact in contacts.items()
                if (covers := digest_due(now, contact.time_zone, a.settings.digest_hour)) is not None]
    return due


@dataclass(frozen=True)
class MailOutcome:
    state: str                 # sent, retry, failed, dropped, or lost (another worker holds it now)
    error: str | None = None
    handed_over: bool = False  # the attempt reached DATA


async def claimed(tx: AsyncConnection, a: Adapters, mail_id: UUID, worker: str) -> tuple[DueMail, bool] | None:
    """The claimed mail, and whether its member still wants it (preferences read now)."""
    found = await a.mails.due(tx, [mail_id], worker)
    if not found:
        return None
    due = found[0]
    return due, (await a.preferences.of(tx, due.workspace_id, due.user_id)).allows(KINDS[due.kind], "email")


async def attempt(a: Adapters, due: DueMail, wanted: bool, hand_over: Callable[[], Awaitable[None]]) -> MailOutcome:
    """Address, render and send one mail; what came of it (recorded by `settle`). `hand_over`
    records that the message is about to reach the server, or raises LeaseLost."""
    if not wanted:
        return MailOutcome("dropped", "the member turned this mail off")
    try:
        contact = (await a.contacts.contacts(due.workspace_id, [due.user_id])).get(due.user_id)
        if contact is None:
            return MailOutcome("dropped", "no longer a member of the workspace")
        letter = await _letter(a, due, contact)
    except Unavailable as error:
        return MailOutcome("retry", str(error))
    if letter is None:
        return MailOutcome("dropped", "nothing to report that day")
    handed_over = False

    async def before_data() -> None:
        nonlocal handed_over
        await hand_over()
        handed_over = True

    try:
        await a.mail_sender.send(letter, before_data)
    except LeaseLost:
        return MailOutcome("lost")
    except MailRefused as refusal:
        return MailOutcome("failed" if refusal.permanent else "retry", refusal.reason, handed_over)
    return MailOutcome("sent", handed_over=True)


async def _letter(a: Adapters, due: DueMail, contact: Recipient) -> Letter | None:
    s = a.settings
    sender_domain = domain_of(s.mail_from) or "adly.invalid"
    if due.kind == DIGEST:
        assert due.day is not None
        digest = await a.figures.digest(due.workspace_id, due.day)
        if not (digest.impressions or digest.spend or digest.orders):
            return None  # a workspace with nothing running gets no daily mail of zeros
        return digest_letter(digest, contact, mail_id=due.id, app_url=s.public_app_url,
                             unsubscribe_url=unsubscribe_url(a, due, contact.language), sender_domain=sender_domain)
    return notice_letter(due.kind, due.params, due.link, contact, mail_id=due.id, app_url=s.public_app_url,
                         unsubscribe_url=unsubscribe_url(a, due, contact.language), sender_domain=sender_domain)


def unsubscribe_url(a: Adapters, due: DueMail, language: str) -> str | None:
    kind = KINDS[due.kind]
    if not kind.mutable:
        return None  # a mail one cannot turn off carries no link that pretends otherwise
    token = unsubscribe_token(a.unsubscribe_key, due.workspace_id, due.user_id, kind.name)
    language = language if language in LANGUAGES else "en"
    return f"{a.settings.public_api_url.rstrip('/')}/v1/notifications/unsubscribe?token={token}&lang={language}"


async def settle(tx: AsyncConnection, a: Adapters, due: DueMail, outcome: MailOutcome) -> str:
    """Record an attempt's outcome; the mail's state after it."""
    if outcome.state == "lost":
        return "pending"
    if outcome.state != "retry":
        await a.mails.finish(tx, due.id, outcome.state, outcome.error)
        return outcome.state
    after = retry_in(due.tries + 1, a.settings.mail_retry_delays, a.mail_random)
    if after is None:
        await a.mails.finish(tx, due.id, "failed", outcome.error)
        return "failed"
    await a.mails.retry(tx, due.id, after, outcome.error or "", outcome.handed_over)
    return "pending"
