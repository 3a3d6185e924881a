"""Mail, outbox style: a request queues a mail in its own transaction (`MailQueue`); the
mail runner sends it over SMTP after commit, retries with backoff, and wipes it once sent
(`MailDelivery`, driven by `entrypoints/runners.py`).

Rows are sealed with the Keyring (AAD = row id): they hold an address and a one-time
link, personal data and a secret, so they are never in clear at rest or in logs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.domain.records import Mail
from adly_auth.settings import AuthSettings
from adly_kit.crypto import Keyring, Sealed
from adly_kit.mail import log_message, send_message
from adly_kit.sql import Statements

log = logging.getLogger(__name__)


def mail_channel(schema: str) -> str:
    return f"adly_{schema}_mail"


class MailQueue:
    def __init__(self, schema: str, keyring: Keyring) -> None:
        self.sql = Statements(schema)
        self.keyring = keyring

    async def enqueue(self, tx: AsyncConnection, mail: Mail) -> uuid.UUID:
        mail_id = uuid.uuid4()
        sealed = self.keyring.encrypt(json.dumps(mail.__dict__).encode(), aad=mail_id.bytes).to_text()
        await tx.execute(self.sql("INSERT INTO {s}.mail_outbox (id, sealed) VALUES (:id, :sealed)"), {"id": mail_id, "sealed": sealed})
        return mail_id


class MailSender(Protocol):
    async def send(self, mail: Mail) -> None: ...


class SmtpSender:
    """Over the kit's SMTP sender (`adly_kit.mail`); a refusal raises `MailRefused`."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings

    async def send(self, mail: Mail) -> None:
        await send_message(message_of(mail, self.settings.mail_from), self.settings)


class LogSender:
    """Development (ADLY_MAIL_TRANSPORT=log): the mail goes to the service log, to nobody,
    so a stack without a mail server can still follow its links. A warning, so that no log
    level hides it: `adly-dev mail` reads these lines back."""

    def __init__(self, mail_from: str = "ADLY <no-reply@adly.example>") -> None:
        self.mail_from = mail_from

    async def send(self, mail: Mail) -> None:
        log_message(message_of(mail, self.mail_from))


def message_of(mail: Mail, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = mail_from, mail.to, mail.subject
    message.set_content(mail.body)
    return message


def sender_for(settings: AuthSettings) -> MailSender:
    return LogSender(settings.mail_from) if settings.mail_transport == "log" else SmtpSender(settings)


@dataclass(frozen=True)
class DueMail:
    id: uuid.UUID
    sealed: str
    attempts: int  # before this one


class MailDelivery:
    """The sending side of the queue. `claim_next` leases a due mail by moving its
    `next_attempt_at` past the send (SKIP LOCKED, so workers share the queue); the lease
    runs out, and the mail is due again, if the worker dies before recording the outcome."""

    def __init__(self, schema: str, keyring: Keyring, settings: AuthSettings, sender: MailSender | None = None) -> None:
        self.sql = Statements(schema)
        self.keyring = keyring
        self.settings = settings
        self.sender = sender or sender_for(settings)

    @asynccontextmanager
    async def wakeups(self) -> AsyncIterator[asyncio.Event]:
        """Set when a mail is queued (LISTEN on the queue's channel), so none waits for the next poll."""
        wake = asyncio.Event()
        listener = await asyncpg.connect(
            self.settings.asyncpg_dsn, server_settings={"application_name": f"adly-{self.settings.schema}-mail"}
        )
        try:
            await listener.add_listener(mail_channel(self.sql.schema), lambda *_: wake.set())
            yield wake
        finally:
            await listener.close()

    async def claim_next(self, tx: AsyncConnection, lease: timedelta) -> DueMail | None:
        row = (await tx.execute(self.sql("""
            UPDATE {s}.mail_outbox SET next_attempt_at = now() + make_interval(secs => :lease)
            WHERE id = (SELECT id FROM {s}.mail_outbox
                        WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, sealed, attempts"""), {"lease": lease.total_seconds()})).first()
        return DueMail(*row) if row else None

    async def send(self, due: DueMail) -> None:
        """Unseal and send; a mail that cannot be unsealed fails like one the server refused."""
        opened = json.loads(self.keyring.decrypt(Sealed.from_text(due.sealed), aad=due.id.bytes))
        await self.sender.send(Mail(**opened))

    async def sent(self, tx: AsyncConnection, mail_id: uuid.UUID, attempts: int) -> None:
        await tx.execute(
            self.sql("UPDATE {s}.mail_outbox SET sent_at = now(), sealed = NULL, attempts = :a WHERE id = :id"),
            {"id": mail_id, "a": attempts},
        )

    async def failed(self, tx: AsyncConnection, mail_id: uuid.UUID, attempts: int, error: str, *,
                     retry_at: datetime, give_up: bool) -> None:
        await tx.execute(
            self.sql("""UPDATE {s}.mail_outbox SET attempts = :a, last_error = :e, next_attempt_at = :next,
                        failed_at = CASE WHEN :give_up THEN now() END,
                        sealed = CASE WHEN :give_up THEN NULL ELSE sealed END WHERE id = :id"""),
            {"id": mail_id, "a": attempts, "e": error, "give_up": give_up, "next": retry_at},
        )
