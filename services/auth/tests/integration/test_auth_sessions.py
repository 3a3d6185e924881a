"""Sign-up, email verification, login, refresh rotation and reuse, logout, password reset."""

import asyncio
import json

import jwt
from aiokafka import AIOKafkaConsumer

from adly_kit.testing.plugin import eventually

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def published(bootstrap: str, topic: str, key: str, *, count: int, timeout: float = 60.0) -> list[dict]:
    """The events of one aggregate on a topic, as soon as `count` of them have arrived. The
    topic is shared with the other tests, so this counts the aggregate's records, not the topic's."""
    reader = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False,
                              auto_offset_reset="earliest")
    await reader.start()
    mine: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            while len(mine) < count:
                for batch in (await reader.getmany(timeout_ms=200)).values():
                    mine += [json.loads(r.value) for r in batch if r.key == key.encode()]
    except TimeoutError:
        raise AssertionError(f"{len(mine)} of {count} events of {key} reached {topic} in {timeout} s") from None
    finally:
        await reader.stop()
    return mine


async def refresh(auth, token: str):
    return await auth.client.post("/v1/auth/oauth/token", content=f"grant_type=refresh_token&refresh_token={token}",
                                  headers=FORM)


async def test_signup_verify_login_refresh_reuse_and_logout(auth):
    person = await auth.signup("Ada.Signup@Example.com")
    me = await auth.client.get("/v1/auth/me", headers=auth.identity(person))
    assert me.json()["email"] == "ada.signup@example.com" and me.json()["email_verified"] is True

    login = await auth.client.post("/v1/auth/login", json={"email": "ada.signup@example.com", "password": auth.password})
    assert login.status_code == 200 and login.headers["cache-control"] == "no-store"
    first = login.json()["refresh_token"]
    assert first.startswith("adly_rt_") and login.json()["token_type"] == "Bearer"

    rotated = await refresh(auth, first)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["refresh_token"]
    assert second != first

    reused = await refresh(auth, first)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert reused.headers["cache-control"] == "no-store"
    # the whole family is gone: the rotated-in token too
    assert (await refresh(auth, second)).json()["error"] == "invalid_grant"
    sid = jwt.decode(rotated.json()["access_token"], options={"verify_signature": False})["sid"]
    session = auth.identity(person, sid=sid)
    assert (await auth.client.get("/v1/auth/me", headers=session)).status_code == 401

    assert (await auth.client.post("/v1/auth/logout", headers=auth.identity(person))).status_code == 204
    assert (await refresh(auth, person.refresh_token)).json()["error"] == "invalid_grant"
    reasons = {p["reason"] for t, p in await auth.events() if t == "SessionRevoked"}
    assert reasons == {"refresh_token_reuse", "logout"}


async def test_parallel_refreshes_mint_at_most_one_token(auth):
    person = await auth.signup()
    answers = await asyncio.gather(*(refresh(auth, person.refresh_token) for _ in range(5)))
    assert sum(a.status_code == 200 for a in answers) <= 1
    assert all(a.json().get("error") == "invalid_grant" for a in answers if a.status_code != 200)


async def test_wrong_password_and_unknown_email_get_the_same_answer(auth):
    person = await auth.signup()
    wrong = await auth.client.post("/v1/auth/login", json={"email": person.email, "password": "not the password!"})
    unknown = await auth.client.post("/v1/auth/login", json={"email": "nobody@example.com", "password": "whatever-long-pw"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_signup_refuses_weak_passwords_with_a_field_path(auth):
    response = await auth.client.post("/v1/auth/signup", json={"email": "weak@example.com", "password": "short"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["path"] == "body/password"
    extra = await auth.client.post("/v1/auth/signup", json={"email": "x@example.com", "password": "p" * 20, "admin": True})
    assert extra.status_code == 422


async def test_a_sign_up_link_works_once(auth):
    await auth.client.post("/v1/auth/signup", json={"email": "once@example.com", "password": auth.password})
    token = await auth.mail_token("once@example.com", "confirm-signup")
    assert (await auth.client.post("/v1/auth/signup/confirm", json={"token": token})).status_code == 201
    again = await auth.client.post("/v1/auth/signup/confirm", json={"token": token})
    assert again.status_code == 422 and again.json()["errors"][0]["path"] == "body/token"


async def test_a_sign_up_answers_alike_whether_or_not_the_address_has_an_account(auth):
    taken = await auth.signup("taken@example.com")
    mails = len(auth.inbox.to(taken.email))
    answers = [await auth.client.post("/v1/auth/signup", json={"email": email, "password": "another long passphrase"})
               for email in ("Taken@Example.com", "free@example.com")]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].content == answers[1].content
    taken_headers, free_headers = ({k: v for k, v in a.headers.items() if k != "x-request-id"} for a in answers)
    assert taken_headers == free_headers
    await auth.mail_token("free@example.com", "confirm-signup")
    attempt = await eventually(lambda: _newer(auth, taken.email, mails), timeout=60)
    assert attempt["Subject"] == "Someone tried to sign up with your email address"
    assert [t for t, _ in await auth.events() if t == "UserRegistered"] == ["UserRegistered"]
    login = await auth.client.post("/v1/auth/login", json={"email": taken.email, "password": auth.password})
    assert login.status_code == 200, "the account and its password are as they were"


async def _newer(auth, email: str, seen: int):
    mails = auth.inbox.to(email)
    return mails[-1] if len(mails) > seen else None


async def test_password_reset_sets_a_new_password_once_and_ends_every_session(auth):
    person = await auth.signup()
    assert (await auth.client.post("/v1/auth/password/forgot", json={"email": person.email})).status_code == 202
    assert (await auth.client.post("/v1/auth/password/forgot", json={"email": "ghost@example.com"})).status_code == 202
    token = await auth.mail_token(person.email, "reset-password")
    new_password = "a brand new passphrase"
    reset = await auth.client.post("/v1/auth/password/reset", json={"token": token, "password": new_password})
    assert reset.status_code == 204
    again = await auth.client.post("/v1/auth/password/reset", json={"token": token, "password": "yet another passphrase"})
    assert again.status_code == 422
    assert (await refresh(auth, person.refresh_token)).json()["error"] == "invalid_grant"
    old = await auth.client.post("/v1/auth/login", json={"email": person.email, "password": auth.password})
    new = await auth.client.post("/v1/auth/login", json={"email": person.email, "password": new_password})
    assert old.status_code == 401 and new.status_code == 200


async def test_logout_everywhere_ends_every_session(auth):
    person = await auth.signup()
    other = await auth.client.post("/v1/auth/login", json={"email": person.email, "password": auth.password})
    assert (await auth.client.post("/v1/auth/logout-everywhere", headers=auth.identity(person))).status_code == 204
    assert (await refresh(auth, person.refresh_token)).status_code == 400
    assert (await refresh(auth, other.json()["refresh_token"])).status_code == 400


async def test_routes_refuse_requests_without_the_gateways_identity(auth):
    assert (await auth.client.get("/v1/auth/me")).status_code == 401
    forged = {"X-Adly-Identity": "eyJzdWIiOiJ4In0.bad"}
    assert (await auth.client.get("/v1/auth/me", headers=forged)).status_code == 401


async def test_user_and_session_events_reach_the_bus_without_emails(auth, kafka):
    person = await auth.signup("bus@example.com")
    await auth.client.post("/v1/auth/logout", headers=auth.identity(person))

    mine = await published(kafka.bootstrap_servers, "adly.auth.user", str(person.user_id), count=2)
    assert [e["event_type"] for e in mine] == ["UserRegistered", "EmailVerified"]
    (revoked,) = await published(kafka.bootstrap_servers, "adly.auth.session", person.sid, count=1)
    assert revoked["event_type"] == "SessionRevoked"
    assert revoked["payload"] == {"user_id": str(person.user_id), "reason": "logout"}
    assert all("bus@example.com" not in json.dumps(e) for e in [*mine, revoked])
