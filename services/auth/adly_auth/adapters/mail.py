"""Mail, outbox style: a request queues a mail in its own transaction; a background task
sends it over SMTP after commit, retries with backoff, and wipes it once sent.

Rows are sealed with the Keyring (AAD = row id): they hold an address and a one-time
link, personal data and a secret, so they are never in clear at rest or in logs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import aiosmtplib
import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adly_auth.settings import AuthSettings
from adly_kit.crypto import Keyring, Sealed
from adly_kit.sql import Statements, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


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

    def open(self, mail_id: uuid.UUID, sealed: str) -> Mail:
        return Mail(**json.loads(self.keyring.decrypt(Sealed.from_text(sealed), aad=mail_id.bytes)))


class SmtpSender:
    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings

    async def send(self, mail: Mail) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.mail_from, mail.to, mail.subject
        message.set_content(mail.body)
        await aiosmtplib.send(
            message, hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            start_tls=s.smtp_starttls if not s.smtp_use_tls else False, use_tls=s.smtp_use_tls,
            timeout=s.smtp_timeout_seconds,
        )


class MailWorker:
    """Sends due mails one at a time, each under a row lock (SKIP LOCKED), so several
    workers share the queue and no mail goes out twice from one queue row."""

    def __init__(self, engine: AsyncEngine, queue: MailQueue, sender: SmtpSender, settings: AuthSettings) -> None:
        self.engine, self.queue, self.sender, self.settings = engine, queue, sender, settings
        self.sql = queue.sql

    async def run(self) -> None:
        wake = asyncio.Event()
        listener = await asyncpg.connect(
            self.settings.asyncpg_dsn, server_settings={"application_name": f"adly-{self.settings.schema}-mail"}
        )
        await listener.add_listener(mail_channel(self.sql.schema), lambda *_: wake.set())
        try:
            while True:
                wake.clear()
                while await self.send_next():
                    pass
                try:
                    await asyncio.wait_for(wake.wait(), self.settings.mail_poll_seconds)
                except TimeoutError:
                    pass
        finally:
            await listener.close()

    async def send_next(self) -> bool:
        """Send the next due mail; False when none is due."""
        async with self.engine.begin() as tx:
            row = (await tx.execute(self.sql("""
                SELECT id, sealed, attempts FROM {s}.mail_outbox
                WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED"""))).first()
            if row is None:
                return False
            mail_id, sealed, attempts = row
            try:
                await self.sender.send(self.queue.open(mail_id, sealed))
            except Exception as error:
                await self._failed(tx, mail_id, attempts + 1, error)
                return True
            await tx.execute(
                self.sql("UPDATE {s}.mail_outbox SET sent_at = now(), sealed = NULL, attempts = :a WHERE id = :id"),
                {"id": mail_id, "a": attempts + 1},
            )
            log.info("mail sent", extra={"mail_id": str(mail_id)})
            return True

    async def _failed(self, tx: AsyncConnection, mail_id: uuid.UUID, attempts: int, error: Exception) -> None:
        give_up = attempts >= self.settings.mail_max_attempts
        log.warning("mail not sent", extra={"mail_id": str(mail_id), "attempts": attempts, "error": type(error).__name__})
        await tx.execute(
            self.sql("""UPDATE {s}.mail_outbox SET attempts = :a, last_error = :e, next_attempt_at = :next,
                        failed_at = CASE WHEN :give_up THEN now() END,
                        sealed = CASE WHEN :give_up THEN NULL ELSE sealed END WHERE id = :id"""),
            {"id": mail_id, "a": attempts, "e": type(error).__name__, "give_up": give_up,
             "next": utc_now() + timedelta(seconds=min(3600, 2**attempts))},
        )
