"""A letter as a MIME message, sent with the kit's SMTP sender (`adly_kit.mail`).

The message is multipart/alternative, the plain text first and the HTML last (clients show
the last part they can). Its Message-ID is the letter's, the same on every retry, so a mail
server or a reader that got one try already can tell the next is the same mail. A letter
that may be turned off carries RFC 8058's one-click unsubscribe: mail clients POST
`List-Unsubscribe=One-Click` to the `List-Unsubscribe` URL, with no page to confirm on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from adly_kit.mail import BeforeData, SmtpSettings, domain_of, send_message
from adly_notifications.domain.letters import Letter


class _OneLine(UnstructuredHeader, BaseHeader):
    """A header written on one line however long (RFC 5322 allows 998 characters). A folded
    `List-Unsubscribe` reads back with a leading space in some parsers (Python's among them),
    and a URL that no longer starts with `<` is one a client may not offer to click."""

    def fold(self, *, policy: Any) -> str:
        return f"{self.name}: {self}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _OneLine)
POLICY = policy.default.clone(header_factory=_HEADERS)


def message_of(letter: Letter, mail_from: str, unsubscribe_url: str | None = None, *,
               now: datetime | None = None) -> EmailMessage:
    """`unsubscribe_url`: the one-click (POST) URL for the headers; by default the letter's own link."""
    one_click = unsubscribe_url or letter.unsubscribe_url
    message = EmailMessage(policy=POLICY)  # the header objects fold themselves, whatever policy sends them
    message["From"], message["To"], message["Subject"] = mail_from, letter.to, letter.subject
    message["Message-ID"] = letter.message_id
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders leave it alone
    if one_click:
        message["List-Unsubscribe"] = f"<{one_click}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(letter.text, charset="utf-8")
    message.add_alternative(letter.html, subtype="html", charset="utf-8")
    message["Content-Language"] = letter.language  # after set_content, which clears Content-* headers
    return message


def sender_domain(mail_from: str) -> str:
    """The domain of `mail_from`, for Message-IDs: `ADLY <no-reply@adly.example>` -> `adly.example`."""
    return domain_of(mail_from) or "adly.invalid"


class SmtpMailSender:
    """Sends a letter over SMTP, or to the log under ADLY_MAIL_TRANSPORT=log (development);
    a mail not sent raises `adly_kit.mail.MailRefused`, which says if a retry can help.
    `before_data` runs once the server took the envelope, just before the message goes over
    (adly_kit.mail.send_message); what it raises ends the session unsent."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, letter: Letter, before_data: BeforeData | None = None) -> None:
        await send_message(message_of(letter, self.settings.mail_from), self.settings, before_data)


def mail_sender_for(settings: SmtpSettings) -> SmtpMailSender:
    """The one sender; the transport (smtp, or the log in development) is the settings' choice."""
    return SmtpMailSender(settings)
