"""Mail out of every service: one SMTP sender, its settings and its one error.

`send_message` hands a built `EmailMessage` to the mail server (aiosmtplib) or, under the
development override `ADLY_MAIL_TRANSPORT=log`, to the service log. Whatever goes wrong
comes back as `MailRefused`, which says whether trying again can help: the caller's retry
discipline (a work table with backoff) decides the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any, Literal, Self

import aiosmtplib
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

MailTransport = Literal["smtp", "log"]
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@([A-Za-z0-9.-]+)")


class SmtpSettings(BaseSettings):
    """The mail server's settings, mixed into a service's settings (`class X(ServiceSettings,
    SmtpSettings)`); the names are auth's, so one environment configures every sender."""

    model_config = SettingsConfigDict(env_prefix="ADLY_", extra="ignore")

    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "ADLY <no-reply@adly.example>"
    # "log" is the development override for a stack with no mail server (`adly-dev run`):
    # each mail, links included, is written to the service log instead of being sent.
    # Refused in production, where a log must never hold a sign-in link.
    mail_transport: MailTransport = "smtp"

    @model_validator(mode="after")
    def _mail_goes_out_in_production(self) -> Self:
        # `environment` is ServiceSettings'; the mixin alone (no environment) is never production.
        if getattr(self, "environment", None) == "production" and self.mail_transport != "smtp":
            raise ValueError("ADLY_MAIL_TRANSPORT=log is for development: production sends mail over SMTP")
        return self


class MailRefused(Exception):
    """A mail not sent. `permanent`: the server refused this address or this message (a 5xx
    to RCPT or DATA), so sending it again would be refused again; otherwise (no connection,
    a timeout, a 4xx, our own login or sender refused) a later try may pass."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


BeforeData = Callable[[], Awaitable[None]]


async def send_message(message: EmailMessage, settings: SmtpSettings, before_data: BeforeData | None = None) -> None:
    """Send over SMTP, or write to the log under the development transport; raises MailRefused.

    `before_data` runs once the server has accepted the sender and the recipient, just before
    the message itself goes over (SMTP DATA): a caller notes there that the mail may now have
    been delivered. What it raises ends the session with nothing sent, and passes through."""
    if settings.mail_transport == "log":
        if before_data is not None:
            await before_data()
        log_message(message)
        return
    try:
        async with _Client(before_data, **_connection(settings)) as client:
            await client.send_message(message)
    except (aiosmtplib.SMTPException, OSError) as error:
        refused = refusal_of(error)
        log.warning("mail refused", extra={"mail_to_domain": domain_of(str(message.get("To", ""))),
                                           "mail_error": refused.reason, "mail_permanent": refused.permanent})
        raise refused from None


class _Client(aiosmtplib.SMTP):
    """aiosmtplib's client with a hook before DATA: its `sendmail` (MAIL, RCPT, DATA) calls
    `data` only once a recipient was accepted, so the hook sees the envelope taken."""

    def __init__(self, before_data: BeforeData | None, **connection: Any) -> None:
        super().__init__(**connection)
        self.before_data = before_data

    async def data(self, message: str | bytes, /, **options: Any) -> aiosmtplib.SMTPResponse:
        if self.before_data is not None:
            await self.before_data()
        return await super().data(message, **options)


def log_message(message: EmailMessage) -> None:
    """Development only (the transport is refused in production): the whole mail, address and
    links included, as one WARNING line (no log level hides it); `adly-dev mail` reads it back
    by address and follows its links."""
    log.warning("mail written to the log, not sent (ADLY_MAIL_TRANSPORT=log)",
                extra={"mail_to": str(message.get("To", "")), "mail_subject": str(message.get("Subject", "")),
                       "mail_body": _text_of(message)})


def refusal_of(error: BaseException) -> MailRefused:
    """What an aiosmtplib or socket error means for a retry; the reason holds no address."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        return refusal_of(error.recipients[0])
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        stage = "RCPT" if isinstance(error, aiosmtplib.SMTPRecipientRefused) else "DATA"
        return MailRefused(f"{stage} {error.code} {redacted(error.message)}".strip(), permanent=500 <= error.code < 600)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return MailRefused(f"{type(error).__name__} {error.code} {redacted(error.message)}".strip(), permanent=False)
    return MailRefused(type(error).__name__, permanent=False)


def redacted(text: str, limit: int = 200) -> str:
    """A server's words with each address cut to its domain (they often quote the recipient)."""
    return _ADDRESS.sub(r"…@\1", text)[:limit]


def domain_of(address: str) -> str:
    """`ADLY <no-reply@adly.example>` -> `adly.example`: what a log or a Message-ID may name."""
    found = _ADDRESS.search(address)
    return found.group(1).lower() if found else ""


def _connection(s: SmtpSettings) -> dict[str, Any]:
    return {
        "hostname": s.smtp_host, "port": s.smtp_port, "username": s.smtp_username,
        "password": s.smtp_password.get_secret_value() if s.smtp_password else None,
        "start_tls": s.smtp_starttls if not s.smtp_use_tls else False, "use_tls": s.smtp_use_tls,
        "timeout": s.smtp_timeout_seconds,
    }


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",)) if message.is_multipart() else message
    return str(part.get_content()) if part is not None else ""
