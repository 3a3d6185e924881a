"""Webhook rules without I/O: URLs, kinds, secrets, the retry schedule, the disable rule, the body."""

from __future__ import annotations

import base64
import ipaddress
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from standardwebhooks import Webhook

from adly_kit.errors import InvalidInput
from adly_notifications.adapters.signing import signed_headers
from adly_notifications.domain.kinds import KINDS
from adly_notifications.domain.webhooks import (
    Outcome,
    chosen_kinds,
    delivery_body,
    excerpt,
    new_secret,
    reachable,
    retry_delay,
    should_disable,
    target_of,
)

DELAYS = [5, 300, 1800, 7200, 18000, 36000, 36000]
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_an_https_url_is_accepted_with_its_host_and_port() -> None:
    target = target_of("https://Shop.Example/hooks?x=1", [])
    assert (target.host, target.port, target.private_allowed) == ("shop.example", 443, False)


@pytest.mark.parametrize("url", ["http://shop.example/hooks", "ftp://shop.example/", "shop.example/hooks", "https://",
                                 "https://10.0.0.5/", "https://169.254.169.254/latest", "https://127.0.0.1/",
                                 "https://[::1]/", "https://[::ffff:10.0.0.1]/", "https://a:b@shop.example/",
                                 "https://shop.example:99999/"])
def test_plain_http_private_addresses_and_credentials_are_refused_naming_the_url(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        target_of(url, [])
    assert refused.value.path == "body/url"


def test_an_allowed_private_host_port_may_take_plain_http_but_only_on_that_port() -> None:
    assert target_of("http://127.0.0.1:8123/hooks", ["127.0.0.1:8123"]).private_allowed
    with pytest.raises(InvalidInput):
        target_of("http://127.0.0.1:8124/hooks", ["127.0.0.1:8123"])


def test_a_name_is_reachable_only_if_every_address_it_resolves_to_is_public() -> None:
    target = target_of("https://shop.example/", [])
    public, private = ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.1.2.3")
    assert reachable(target, [public])
    assert not reachable(target, [public, private])
    assert not reachable(target, [])


def test_kinds_must_be_known_and_none_means_all() -> None:
    assert chosen_kinds(["sync.failed", "sync.failed"], KINDS) == ("sync.failed",)
    assert chosen_kinds([], KINDS) == ()
    with pytest.raises(InvalidInput) as refused:
        chosen_kinds(["sync.exploded"], KINDS)
    assert refused.value.path == "body/kinds"


def test_a_secret_is_whsec_and_32_random_bytes_in_base64() -> None:
    secret = new_secret(lambda n: bytes(range(n)))
    assert secret.startswith("whsec_")
    assert base64.b64decode(secret.removeprefix("whsec_")) == bytes(range(32))
    assert new_secret() != new_secret()


@pytest.mark.parametrize("randomness, factor", [(0.0, 0.8), (0.5, 1.0), (0.999999, 1.2)])
def test_each_retry_waits_its_delay_give_or_take_a_fifth(randomness: float, factor: float) -> None:
    for failures, delay in enumerate(DELAYS, start=1):
        assert retry_delay(failures, DELAYS, lambda: randomness) == pytest.approx(delay * factor, rel=1e-5)


def test_after_the_last_delay_the_delivery_has_failed_about_28_hours_on() -> None:
    assert retry_delay(len(DELAYS) + 1, DELAYS, lambda: 0.5) is None
    assert timedelta(hours=27) < timedelta(seconds=sum(DELAYS)) < timedelta(hours=29)


def test_an_endpoint_failing_for_72_hours_is_disabled_and_not_before() -> None:
    assert not should_disable(None, NOW, 72)
    assert not should_disable(NOW - timedelta(hours=71, minutes=59), NOW, 72)
    assert should_disable(NOW - timedelta(hours=72), NOW, 72)


def test_the_body_is_type_timestamp_and_data_the_same_bytes_every_time() -> None:
    body = delivery_body("sync.failed", NOW, {"store_id": "s1", "reason": "انتهت صلاحية الرمز"})
    assert json.loads(body) == {"type": "sync.failed", "timestamp": "2026-12-06T12:00:00+00:00",
                                "data": {"store_id": "s1", "reason": "انتهت صلاحية الرمز"}}
    assert body == delivery_body("sync.failed", NOW, {"store_id": "s1", "reason": "انتهت صلاحية الرمز"})


def test_only_a_2xx_is_delivered_and_an_excerpt_is_cut_in_characters() -> None:
    assert Outcome(204, 3).delivered and not Outcome(302, 3).delivered and not Outcome(None, 3, error="x").delivered
    assert excerpt("é".encode() * 600, 512) == "é" * 512


def test_a_signed_delivery_verifies_with_standardwebhooks_with_either_secret_during_an_overlap() -> None:
    old, new = new_secret(), new_secret()
    body = delivery_body("sync.failed", NOW, {"x": 1})
    headers = signed_headers(uuid4(), body, [new, old], datetime.now(UTC))
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["type"] == "sync.failed"
    with pytest.raises(Exception):  # noqa: B017 (the library raises its own error type)
        Webhook(new_secret()).verify(body, headers)
