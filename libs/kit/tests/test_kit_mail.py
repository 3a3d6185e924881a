"""The kit's SMTP sender against a real SMTP server on 127.0.0.1 (aiosmtpd): what it sends,
and which refusals are worth a retry."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import pytest
from pydantic import ValidationError

from adly_kit.mail import MailRefused, SmtpSettings, domain_of, redacted, refusal_of, send_message
from adly_kit.settings import ServiceSettings
from tests.fakes.server import free_port
from tests.fakes.smtp import SmtpServer as Server

SECRETS = {"internal_identity_key": "k" * 32, "encryption_keys": "p1:" + "QUFB" * 10 + "QUE="}


class Settings(ServiceSettings, SmtpSettings):
    service_name: str = "kit-test"


def settings(**overrides) -> Settings:
    return Settings(database_url="postgresql://unit@nowhere/none", kafka_bootstrap_servers="nowhere:9092",
                    **overrides)


def a_message(to: str = "ada@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ADLY <no-reply@adly.example>", to, "مرحبا"
    message.set_content("Open https://app.adly.example/confirm?token=abc")
    return message


def test_the_settings_are_auths_names_and_defaults():
    s = settings()
    assert (s.smtp_host, s.smtp_port, s.smtp_username, s.smtp_password) == ("localhost", 587, None, None)
    assert (s.smtp_starttls, s.smtp_use_tls, s.smtp_timeout_seconds) == (True, False, 10.0)
    assert (s.mail_from, s.mail_transport) == ("ADLY <no-reply@adly.example>", "smtp")


def test_production_refuses_the_log_transport():
    settings(**SECRETS, environment="production")
    with pytest.raises(ValidationError, match="ADLY_MAIL_TRANSPORT"):
        settings(**SECRETS, environment="production", mail_transport="log")


def test_the_settings_read_the_services_environment(monkeypatch):
    monkeypatch.setenv("ADLY_SMTP_HOST", "mail.internal")
    monkeypatch.setenv("ADLY_MAIL_TRANSPORT", "log")
    assert (settings().smtp_host, settings().mail_transport) == ("mail.internal", "log")


async def test_a_mail_the_server_accepts_arrives_whole():
    with Server() as server:
        await send_message(a_message(), settings(smtp_host="127.0.0.1", smtp_port=server.port, smtp_starttls=False))
    (received,) = server.received
    assert (received["To"], received["Subject"]) == ("ada@example.com", "مرحبا")
    assert "confirm?token=abc" in received.get_content()


@pytest.mark.parametrize(("answers", "permanent", "stage"), [
    ({"rcpt": "550 5.1.1 <ada@example.com>: no such user"}, True, "RCPT 550"),
    ({"data": "554 5.7.1 Message refused"}, True, "DATA 554"),
    ({"rcpt": "450 4.2.1 Mailbox busy"}, False, "RCPT 450"),
    ({"data": "451 4.3.0 Try again later"}, False, "DATA 451"),
])
async def test_a_refusal_is_permanent_only_when_the_server_refuses_the_address_or_message(answers, permanent, stage):
    with Server(**answers) as server, pytest.raises(MailRefused) as refused:
        await send_message(a_message(), settings(smtp_host="127.0.0.1", smtp_port=server.port, smtp_starttls=False))
    assert refused.value.permanent is permanent
    assert refused.value.reason.startswith(stage)
    assert "ada@" not in refused.value.reason, "the reason names no address"
    assert server.received == []


async def test_no_server_listening_is_worth_a_retry():
    closed = settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False, smtp_timeout_seconds=2)
    with pytest.raises(MailRefused) as refused:
        await send_message(a_message(), closed)
    assert refused.value.permanent is False


def test_a_timeout_or_a_refused_login_is_worth_a_retry():
    import aiosmtplib

    assert refusal_of(aiosmtplib.SMTPReadTimeoutError("timed out")).permanent is False
    assert refusal_of(aiosmtplib.SMTPAuthenticationError(535, "bad credentials")).permanent is False
    assert refusal_of(aiosmtplib.SMTPSenderRefused(550, "no", "no-reply@adly.example")).permanent is False


def test_addresses_in_a_servers_words_are_cut_to_their_domain():
    assert redacted("550 <Ada.L+x@Example.com> unknown, cc bob@mail.example.org") == \
        "550 <…@Example.com> unknown, cc …@mail.example.org"
    assert domain_of("ADLY <no-reply@Adly.Example>") == "adly.example"


async def test_the_log_transport_writes_the_mail_with_its_links_and_sends_nothing(caplog):
    with Server() as server, caplog.at_level(logging.INFO, logger="adly_kit.mail"):
        await send_message(a_message(), settings(smtp_host="127.0.0.1", smtp_port=server.port, mail_transport="log"))
    assert server.received == []
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert (record.mail_to, record.mail_subject) == ("ada@example.com", "مرحبا")
    assert "confirm?token=abc" in record.mail_body


async def test_a_refused_mail_is_logged_with_the_recipients_domain_only(caplog):
    with Server(rcpt="550 5.1.1 no such user") as server, caplog.at_level(logging.INFO, logger="adly_kit.mail"):
        with pytest.raises(MailRefused):
            await send_message(a_message(), settings(smtp_host="127.0.0.1", smtp_port=server.port, smtp_starttls=False))
    (record,) = caplog.records
    assert record.mail_to_domain == "example.com"
    assert "ada@" not in record.getMessage() + str(record.__dict__)


class Interrupted(Exception):
    pass


async def test_before_data_runs_once_the_envelope_is_taken_and_before_the_message_goes_over():
    seen: list[int] = []
    with Server() as server:
        async def before_data() -> None:
            seen.append(len(server.received))

        await send_message(a_message(), settings(smtp_host="127.0.0.1", smtp_port=server.port, smtp_starttls=False),
                           before_data)
    assert seen == [0] and len(server.received) == 1


async def test_before_data_does_not_run_for_a_refused_recipient():
    seen: list[str] = []

    async def before_data() -> None:
        seen.append("ran")

    with Server(rcpt="550 5.1.1 no such user") as server, pytest.raises(MailRefused):
        await send_message(a_message(), settings(smtp_host="127.0.0.1", smtp_port=server.port, smtp_starttls=False),
                           before_data)
    assert seen == []


async def test_what_before_data_raises_ends_the_session_with_nothing_sent():
    async def before_data() -> None:
        raise Interrupted

    with Server() as server, pytest.raises(Interrupted):
        await send_message(a_message(), settings(smtp_host="127.0.0.1", smtp_port=server.port, smtp_starttls=False),
                           before_data)
    assert server.received == []


async def test_the_log_transport_runs_before_data_too(caplog):
    seen: list[str] = []

    async def before_data() -> None:
        seen.append("ran")

    await send_message(a_message(), settings(mail_transport="log"), before_data)
    assert seen == ["ran"]
