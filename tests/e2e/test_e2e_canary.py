"""Seeded credentials and personal data never appear in the stack's logs or its spans.

Real ones travel the real paths: a person signs up with a seeded email and password, signs
in (tokens), connects a WooCommerce store whose keys the catalog sends in the query over
plain http, and gets refused with wrong keys; forged tokens and keys are refused at the
gateway. Then every service's log file and every span the stack exported are searched."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.fakes.woocommerce import FakeWooCommerce

from .conftest import PASSWORD, Person, Stack, claims_of, connect_woocommerce
from .otlp import span_receiver

SERVER, CLIENT = 2, 3


def sign_up(e2e: Stack, email: str) -> Person:
    assert e2e.http.post("/v1/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 202
    confirmed = e2e.http.post("/v1/auth/signup/confirm", json={"token": e2e.mail_token(email, "confirm-signup")})
    assert confirmed.status_code == 201, confirmed.text
    tokens = confirmed.json()
    claims = claims_of(tokens["access_token"])
    return Person(claims["sub"], email, tokens["access_token"], tokens["refresh_token"], claims["sid"])


def traced(trace_id: str) -> dict[str, str]:
    return {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}


@pytest.fixture
def woo() -> Iterator[FakeWooCommerce]:
    """A store of this test's own: a shop connects to one workspace at a time."""
    fake = FakeWooCommerce()
    fake.seed(products=3, orders=1)
    yield fake.start()
    fake.stop()


def test_seeded_secrets_and_emails_reach_neither_the_logs_nor_the_spans(e2e: Stack, woo: FakeWooCommerce):
    email = f"canary.{secrets.token_hex(5)}@example.com"
    person = e2e.enable_two_factor(sign_up(e2e, email))
    workspace_id = e2e.create_workspace(person)
    store_id = connect_woocommerce(e2e, person, workspace_id, woo)
    consumer_key = list(woo.keys)[-1]  # the key connect_woocommerce just made
    consumer_secret = woo.keys[consumer_key].consumer_secret
    forged = {"jwt": "eyJhbGciOiJFZERTQSJ9." + secrets.token_urlsafe(30) + "." + secrets.token_urlsafe(40),
              "api_key": f"adly_sk_{secrets.token_hex(16)}_{secrets.token_urlsafe(24)}",
              "password": "canary-" + secrets.token_urlsafe(12),
              "ck": "ck_" + secrets.token_hex(20), "cs": "cs_" + secrets.token_hex(20)}
    traces = [secrets.token_hex(16) for _ in range(4)]
    refused = [
        e2e.http.post("/v1/auth/login", json={"email": email, "password": forged["password"]}, headers=traced(traces[0])),
        e2e.http.get("/v1/workspaces", headers={"Authorization": f"Bearer {forged['jwt']}"} | traced(traces[1])),
        e2e.http.get("/v1/workspaces", headers={"Authorization": f"Bearer {forged['api_key']}"} | traced(traces[2])),
        e2e.request("POST", f"/v1/workspaces/{workspace_id}/stores", who=person, proof=e2e.two_factor_token(person),
                    headers=traced(traces[3]), json={"platform": "woocommerce", "site_url": woo.site_url,
                                                     "consumer_key": forged["ck"], "consumer_secret": forged["cs"]}),
    ]
    assert [r.status_code for r in refused][:3] == [401, 401, 401] and refused[3].status_code >= 400, \
        [(r.status_code, r.text) for r in refused]

    def all_arrived(spans):
        served = {s.trace_id for s in spans if s.kind == SERVER and s.service == "adly-gateway"}
        store_calls = [s for s in spans if s.kind == CLIENT and s.service == "adly-catalog"
                       and str(s.attributes.get("http.url", "")).startswith(woo.url)]
        return set(traces) <= served and store_calls

    assert span_receiver().wait_for(all_arrived, timeout=60), "the stack's spans did not arrive"
    seeded = {"email": email, "password": PASSWORD, "access_token": person.access_token,
              "refresh_token": person.refresh_token, "consumer_key": consumer_key,
              "consumer_secret": consumer_secret} | forged
    gone = e2e.request("DELETE", f"/v1/workspaces/{workspace_id}/stores/{store_id}", who=person,
                       proof=e2e.two_factor_token(person))
    assert gone.status_code == 204, gone.text  # no sync of a stopped store fails later in the session
    spans = "\n".join(repr(s) for s in span_receiver().all())
    assert [name for name, value in seeded.items() if value in spans] == []
    for log in sorted(e2e.logs.glob("*.log")):
        text = log.read_text(errors="replace")
        assert [name for name, value in seeded.items() if value in text] == [], f"seeded values in {log.name}"
