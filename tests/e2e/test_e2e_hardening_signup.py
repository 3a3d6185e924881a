"""Issue 9: no public auth route tells anyone whether an email address has an account.

Probing found that a sign-up for a taken address answered 409 "An account with this email
exists already". Now a sign-up answers 202 either way; the link that finishes it is mailed to
a free address, and the owner of a taken one is mailed a note instead (docs/identity.md,
"Sign-up"). These tests go through the gateway to the real processes and compare the two
answers whole: status, body bytes and every header, but those that differ on every request
(the request id, the date, trace context) and the rate-limit counters' values (which count
requests naming the address, whether or not it has an account). The same holds for the other
routes that take an address: password reset and login.

Timing: both sign-ups hash the password and queue one mail, and write nothing else; the tests
check the writes (rows in auth's tables), which is what a clock could tell apart cheaply, and
do not time requests (the unit tests count the hashing).
"""

from __future__ import annotations

import asyncio
import re
import secrets

import asyncpg
import httpx
import pytest

from .conftest import PASSWORD, Person, Stack, eventually

PER_REQUEST = {"x-request-id", "date", "traceparent", "tracestate"}
OTHER_PASSWORD = "another long passphrase"


def shape(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    """What a caller can compare between two answers, less what differs on every request."""
    headers = {name: value for name, value in response.headers.items() if name not in PER_REQUEST}
    if "ratelimit" in headers:
        headers["ratelimit"] = re.sub(r"=\d+", "=n", headers["ratelimit"])
    return response.status_code, headers, response.content


def auth_rows(e2e: Stack) -> dict[str, int]:
    """How many rows auth's tables hold, to see what a request wrote."""
    async def count() -> dict[str, int]:
        conn = await asyncpg.connect(e2e.database_url)
        try:
            return {table: await conn.fetchval(f"SELECT count(*) FROM auth.{table}")  # noqa: S608 - fixed names
                    for table in ("users", "mail_outbox", "one_time_tokens", "sessions", "events")}
        finally:
            await conn.close()

    return asyncio.run(count())


def mails_to(e2e: Stack, email: str, count: int, *, timeout: float = 20.0) -> list:
    """The mails to `email`, once there are at least `count`."""
    mails = eventually(lambda: len(e2e.inbox.to(email)) >= count and e2e.inbox.to(email), timeout=timeout)
    assert mails, f"{count} mails did not reach {email} in {timeout:.0f}s ({len(e2e.inbox.to(email))} did)"
    return mails


def address(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}@example.com"


def signup(e2e: Stack, email: str, password: str = OTHER_PASSWORD) -> httpx.Response:
    return e2e.http.post("/v1/auth/signup", json={"email": email, "password": password})


@pytest.fixture(scope="module")
def owner(e2e: Stack) -> Person:
    return e2e.signup(prefix="taken")


def spellings(email: str) -> list[str]:
    """One mailbox, spelled as a prober might: the sign-up must answer alike for each."""
    local, domain = email.split("@")
    return [email, email.upper(), f"  {local}@{domain.upper()} ", f"{local.capitalize()}@{domain}"]


def test_a_sign_up_answers_alike_whether_or_not_the_address_has_an_account(e2e: Stack, owner: Person):
    before = len(e2e.inbox.to(owner.email))
    attempts = [(spelled, password) for spelled in spellings(owner.email) for password in (OTHER_PASSWORD, PASSWORD)]
    for spelled, password in attempts:  # the owner's own password too: still no tokens
        fresh = address("fresh")
        rows = auth_rows(e2e)
        taken = signup(e2e, spelled, password)
        after_taken = auth_rows(e2e)
        free = signup(e2e, fresh, password)
        after_free = auth_rows(e2e)
        assert taken.status_code == 202, taken.text
        assert shape(taken) == shape(free), (spelled, taken.headers, free.headers)
        # The same writes: one queued mail, nothing else, whichever the address.
        assert after_taken == rows | {"mail_outbox": rows["mail_outbox"] + 1}
        assert after_free == after_taken | {"mail_outbox": after_taken["mail_outbox"] + 1}
        assert e2e.mail_token(fresh, "confirm-signup")

    notes = mails_to(e2e, owner.email, before + len(attempts))[before:]
    assert {m["Subject"] for m in notes} == {"Someone tried to sign up with your email address"}
    assert all("token=" not in m.get_payload(decode=True).decode() for m in notes), "the owner gets no sign-up link"
    assert e2e.login(owner).status_code == 200, "the account and its password are as they were"
    other = e2e.http.post("/v1/auth/login", json={"email": owner.email, "password": OTHER_PASSWORD})
    assert other.status_code == 401


def test_a_sign_up_is_answered_as_documented_and_its_link_works_once(e2e: Stack):
    email = address("once")
    answer = signup(e2e, email)
    assert answer.status_code == 202 and answer.json()["status"] == "accepted"
    assert "access_token" not in answer.text and "refresh_token" not in answer.text
    document = e2e.http.get("/openapi.json").json()["paths"]["/v1/auth/signup"]["post"]["responses"]
    assert set(document) >= {"202"} and "201" not in document
    token = e2e.mail_token(email, "confirm-signup")
    first = e2e.http.post("/v1/auth/signup/confirm", json={"token": token})
    assert first.status_code == 201 and first.json()["refresh_token"].startswith("adly_rt_")
    me = e2e.http.get("/v1/auth/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == email and me.json()["email_verified"] is True
    again = e2e.http.post("/v1/auth/signup/confirm", json={"token": token})
    assert again.status_code == 422 and again.headers["content-type"].startswith("application/problem+json")


def test_of_two_sign_ups_of_one_address_the_first_link_followed_wins(e2e: Stack):
    email = address("twice")
    assert signup(e2e, email, PASSWORD).status_code == 202
    first = e2e.mail_token(email, "confirm-signup")
    assert signup(e2e, email, OTHER_PASSWORD).status_code == 202
    second = e2e.mail_token(email, "confirm-signup", after=1)
    assert first != second
    assert e2e.http.post("/v1/auth/signup/confirm", json={"token": second}).status_code == 201
    assert e2e.http.post("/v1/auth/signup/confirm", json={"token": first}).status_code == 422
    logins = {password: e2e.http.post("/v1/auth/login", json={"email": email, "password": password}).status_code
              for password in (PASSWORD, OTHER_PASSWORD)}
    assert logins == {PASSWORD: 401, OTHER_PASSWORD: 200}


def test_a_password_reset_request_answers_alike_and_mails_either_way(e2e: Stack, owner: Person):
    nobody = address("nobody")
    before = len(e2e.inbox.to(owner.email))
    known = e2e.http.post("/v1/auth/password/forgot", json={"email": owner.email})
    unknown = e2e.http.post("/v1/auth/password/forgot", json={"email": nobody})
    assert known.status_code == 202 and shape(known) == shape(unknown)
    assert e2e.mail_token(owner.email, "reset-password", after=before)
    (note,) = mails_to(e2e, nobody, 1)
    assert "no ADLY" in note.get_payload(decode=True).decode()


def test_a_login_refusal_is_the_same_for_a_wrong_password_and_an_unknown_address(e2e: Stack, owner: Person):
    wrong = e2e.http.post("/v1/auth/login", json={"email": owner.email, "password": OTHER_PASSWORD})
    unknown = e2e.http.post("/v1/auth/login", json={"email": address("unknown"), "password": OTHER_PASSWORD})
    pending = address("pending")  # signed up, link not followed: no account yet
    assert signup(e2e, pending, PASSWORD).status_code == 202
    not_yet = e2e.http.post("/v1/auth/login", json={"email": pending, "password": PASSWORD})
    assert wrong.status_code == 401
    assert shape(wrong) == shape(unknown) == shape(not_yet)
