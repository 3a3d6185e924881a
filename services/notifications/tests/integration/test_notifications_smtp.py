"""A letter through a real SMTP server on 127.0.0.1 (aiosmtpd), read back with the `email`
package as a mail client would: both parts, the Arabic subject, RFC 8058's headers; and which
refusals the sender reports as worth a retry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from adly_kit.mail import MailRefused, SmtpSettings, send_message
from adly_notifications.adapters.mail_sender import SmtpMailSender, mail_sender_for, message_of, sender_domain
from adly_notifications.domain.letters import Letter, Recipient, notice_letter
from tests.fakes.server import free_port
from tests.fakes.smtp import SmtpServer as Server

MAIL_FROM = "ADLY <no-reply@adly.example>"
UNSUBSCRIBE = "https://api.adly.example/v1/notifications/unsubscribe?token=abc.def"


def settings(port: int) -> SmtpSettings:
    return SmtpSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, smtp_timeout_seconds=5,
                        mail_from=MAIL_FROM)


def arabic_letter(mail_id: uuid.UUID | None = None) -> Letter:
    ada = Recipient(user_id=uuid.uuid4(), email="ada@example.com", language="ar", time_zone="Asia/Riyadh")
    return notice_letter("sync.failed", {"reason": "<script>x</script>"}, "/stores/1", ada,
                         mail_id=mail_id or uuid.uuid4(), app_url="https://app.adly.example",
                         unsubscribe_url=UNSUBSCRIBE, sender_domain=sender_domain(MAIL_FROM))


async def test_an_arabic_letter_arrives_with_a_right_to_left_html_part_a_text_part_and_one_click_unsubscribe():
    mail_id = uuid.uuid4()
    with Server() as server:
        await SmtpMailSender(settings(server.port)).send(arabic_letter(mail_id))
    (mail,), (recipients,) = server.received, server.recipients
    assert recipients == ["ada@example.com"]
    assert mail["Subject"] == "فشلت مزامنة المتجر"
    assert mail["From"] == MAIL_FROM and mail["To"] == "ada@example.com"
    assert mail["Message-ID"] == f"<{mail_id}@adly.example>"
    assert mail["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Auto-Submitted"] == "auto-generated" and mail["Date"] is not None
    assert mail.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None and html.get_content_charset() == "utf-8"
    assert "توقفت مزامنة متجرك: <script>x</script>" in text.get_content()
    assert '<html lang="ar" dir="rtl">' in html.get_content()
    assert "&lt;script&gt;" in html.get_content() and "<script>" not in html.get_content()


async def test_the_hand_over_is_noted_before_the_message_reaches_the_server():
    handed_over: list[int] = []
    with Server() as server:
        async def before_data() -> None:
            handed_over.append(len(server.received))

        await mail_sender_for(settings(server.port)).send(arabic_letter(), before_data)
    assert handed_over == [0] and len(server.received) == 1


def test_the_subject_is_encoded_for_the_wire_and_the_message_is_seven_bit():
    raw = message_of(arabic_letter(), MAIL_FROM, now=datetime(2026, 12, 6, 9, 0, tzinfo=UTC)).as_bytes()
    assert raw.isascii(), "no 8-bit content: any server takes it, 8BITMIME or not"
    assert b"Subject: =?utf-8?" in raw and b"Date: Sun, 06 Dec 2026 09:00:00 +0000" in raw


def test_a_letter_with_no_unsubscribe_link_has_no_list_unsubscribe_headers():
    ada = Recipient(user_id=uuid.uuid4(), email="ada@example.com", language="en", time_zone="UTC")
    letter = notice_letter("store.disconnected", {"platform": "salla"}, None, ada, mail_id=uuid.uuid4(),
                           app_url="https://app", unsubscribe_url=UNSUBSCRIBE, sender_domain="adly.example")
    message = message_of(letter, MAIL_FROM)
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


async def test_a_long_unsubscribe_url_stays_on_one_line_and_reads_back_whole():
    long_url = UNSUBSCRIBE + "&lang=ar&" + "x" * 300
    letter = arabic_letter()
    with Server() as server:
        await send_message(message_of(letter, MAIL_FROM, long_url), settings(server.port))
    (mail,) = server.received
    assert mail["List-Unsubscribe"] == f"<{long_url}>"


def test_the_one_click_url_may_differ_from_the_letters_link():
    message = message_of(arabic_letter(), MAIL_FROM, "https://api.adly.example/one-click?token=t")
    assert message["List-Unsubscribe"] == "<https://api.adly.example/one-click?token=t>"


@pytest.mark.parametrize(("answers", "permanent"), [
    ({"rcpt": "550 5.1.1 No such user"}, True),
    ({"data": "550 5.7.1 Refused as spam"}, True),
    ({"data": "451 4.3.0 Try again later"}, False),
])
async def test_a_refusal_says_whether_a_retry_can_help(answers, permanent):
    with Server(**answers) as server, pytest.raises(MailRefused) as refused:
        await SmtpMailSender(settings(server.port)).send(arabic_letter())
    assert refused.value.permanent is permanent
    assert server.received == []


async def test_a_closed_port_is_worth_a_retry():
    with pytest.raises(MailRefused) as refused:
        await SmtpMailSender(settings(free_port())).send(arabic_letter())
    assert refused.value.permanent is False


async def test_the_log_transport_sends_nothing(caplog):
    with Server() as server:
        await SmtpMailSender(settings(server.port).model_copy(update={"mail_transport": "log"})).send(arabic_letter())
    assert server.received == []
    assert any(getattr(record, "mail_subject", None) == "فشلت مزامنة المتجر" for record in caplog.records)
