"""The development mail transport: mails go to the log, where `make run` users read their links."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from adly_auth.adapters.mail import LogSender, SmtpSender, sender_for
from adly_auth.domain.records import Mail
from adly_auth.settings import AuthSettings

BASE = {"service_name": "auth", "database_url": "postgresql://unit@nowhere/none", "kafka_bootstrap_servers": "nowhere:9092"}
SECRETS = {"internal_identity_key": "k" * 32, "encryption_keys": "p1:" + "QUFB" * 10 + "QUE="}


def test_mail_goes_over_smtp_unless_the_log_is_asked_for():
    assert isinstance(sender_for(AuthSettings(**BASE)), SmtpSender)
    assert isinstance(sender_for(AuthSettings(**BASE, mail_transport="log")), LogSender)


def test_production_refuses_the_log_transport():
    AuthSettings(**BASE, **SECRETS, environment="production")
    with pytest.raises(ValidationError, match="ADLY_MAIL_TRANSPORT"):
        AuthSettings(**BASE, **SECRETS, environment="production", mail_transport="log")


async def test_the_log_transport_writes_the_whole_mail_with_its_link(caplog):
    with caplog.at_level(logging.INFO, logger="adly_auth.adapters.mail"):
        await LogSender().send(Mail("ada@example.com", "Finish signing up for ADLY", "https://app/confirm-signup?token=abc.d-_"))
    (record,) = caplog.records
    assert (record.mail_to, record.mail_subject) == ("ada@example.com", "Finish signing up for ADLY")
    assert "confirm-signup?token=abc.d-_" in record.mail_body
