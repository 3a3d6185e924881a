"""RELIABILITY S4: every malformed, foreign or misplaced token gets 401; keys come only from our JWKS."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

pytestmark = pytest.mark.asyncio(loop_scope="module")

ME = "/v1/auth/me"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


def claims(sub: str, **overrides) -> dict:
    now = int(time.time())
    base = {"iss": "adly-auth", "aud": "adly-api", "sub": sub, "iat": now, "nbf": now, "exp": now + 600,
            "jti": uuid.uuid4().hex, "sid": str(uuid.uuid4())}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


class StandingClock:
    """Monotonic time for the JWKS floor that moves only when the test moves it."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def jwks_clock(stack):
    jwks = stack.adapters.edge.jwks
    real = jwks.clock
    # Not before a fetch an earlier test's clock made: that one may be ahead of the real one.
    jwks.clock = StandingClock(max(real(), jwks._fetched_at or 0.0, jwks._failed_at or 0.0))
    try:
        yield jwks.clock
    finally:
        jwks.clock = real


class Canary:
    """A TCP listener that counts connections: nothing may ever reach it."""

    def __init__(self) -> None:
        self.connections = 0

    async def start(self):
        async def on_connect(reader, writer):
            self.connections += 1
            writer.close()

        self.server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self


async def test_a_valid_access_token_is_accepted_and_forwarded_as_signed_identity(stack, client):
    user = uuid.uuid4()
    response = await client.get(ME, headers=stack.bearer(user) | {"X-Request-ID": "req-abc-1"})
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["identity"]["sub"] == str(user)
    assert seen["identity"]["kind"] == "user"
    assert seen["identity"]["rid"] == "req-abc-1"
    assert "authorization" not in seen["headers"]  # services never see the bearer token


async def test_the_jwt_negative_suite_is_all_401(stack, client, keys_factory):
    canary = await Canary().start()
    user = str(uuid.uuid4())
    keys = stack.keys
    kid = keys.kid
    public_pem = keys.private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    public_raw = keys.private.public_key().public_bytes_raw()
    attacker = keys_factory(kid=kid)  # same kid, another key
    valid = keys.access(user)
    hs_header = {"alg": "HS256", "typ": "at+jwt", "kid": kid}
    signing_input = f"{b64(json.dumps(hs_header).encode())}.{b64(json.dumps(claims(user)).encode())}"
    hs_raw = signing_input + "." + b64(hmac.new(public_raw, signing_input.encode(), hashlib.sha256).digest())
    jku = f"http://127.0.0.1:{canary.port}/jwks.json"
    cases = {
        "alg none": unsigned({"alg": "none", "typ": "at+jwt", "kid": kid}, claims(user)),
        "alg None capitalised": unsigned({"alg": "None", "typ": "at+jwt", "kid": kid}, claims(user)),
        "HS256 with the public key (PEM)": signing_input + "." + b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()),
        "HS256 with the public key (raw)": hs_raw,
        "stripped signature": valid.rsplit(".", 1)[0] + ".",
        "no signature segment": valid.rsplit(".", 1)[0],
        "tampered payload": valid.split(".")[0] + "." + b64(json.dumps(claims(str(uuid.uuid4()))).encode()) + "." + valid.split(".")[2],
        "signed by another key with our kid": attacker.access(user),
        "wrong iss": keys.access(user, iss="https://evil.example"),
        "missing iss": keys.access(user, iss=None),
        "foreign aud": keys.access(user, aud="another-api"),
        "missing aud": keys.access(user, aud=None),
        "expired": keys.access(user, exp=int(time.time()) - 120, iat=int(time.time()) - 900, nbf=int(time.time()) - 900),
        "future nbf": keys.access(user, nbf=int(time.time()) + 600),
        "missing exp": keys.access(user, exp=None),
        "missing nbf": keys.access(user, nbf=None),
        "missing iat": keys.access(user, iat=None),
        "missing sub": keys.sign({k: v for k, v in claims(user).items() if k != "sub"}),
        "missing sid": keys.sign({k: v for k, v in claims(user).items() if k != "sid"}),
        "sub not a user id": keys.access("'; DROP TABLE users; --"),
        "kid with SQL": keys.sign(claims(user), headers={"kid": "1' OR '1'='1"}),
        "kid with a path": keys.sign(claims(user), headers={"kid": "../../../../etc/passwd"}),
        "kid too long": keys.sign(claims(user), headers={"kid": "a" * 65}),
        "jku to the canary": attacker.sign(claims(user), headers={"kid": "canary-kid", "jku": jku}),
        "x5u to the canary": attacker.sign(claims(user), headers={"kid": "canary-kid-2", "x5u": jku}),
        "jku with our kid, attacker key": attacker.sign(claims(user), headers={"jku": jku}),
        "embedded jwk": attacker.sign(claims(user), headers={"kid": "embedded", "jwk": attacker.jwk()}),
        "typ missing": jwt.encode(claims(user), keys.private, algorithm="EdDSA", headers={"kid": kid, "typ": None}),
        "typ JWT": keys.sign(claims(user), typ="JWT"),
        "2FA proof as access token": keys.two_factor(user),
        "2FA proof with at+jwt typ but 2fa audience": keys.sign(claims(user, aud="adly-2fa")),
        "refresh token (opaque)": "adly_rt_" + secrets.token_urlsafe(32),
        "API key shape, unknown key": f"adly_sk_{uuid.uuid4()}_{secrets.token_urlsafe(32)}",
        "garbage": "not-a-token",
        "empty-ish": "a.b.c",
    }
    for name, token in cases.items():
        response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, f"{name}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "Traceback" not in response.text
    for scheme in (f"Basic {b64(b'user:pass')}", f"Token {valid}", valid):
        response = await client.get(ME, headers={"Authorization": scheme})
        assert response.status_code == 401, scheme
    # A key is fetched, if ever, before the token's answer: after the last answer there is nothing left to wait for.
    assert canary.connections == 0
    canary.server.close()


async def test_a_token_in_the_query_string_is_never_read(stack, client):
    token = stack.keys.access(str(uuid.uuid4()))
    for query in ({"access_token": token}, {"token": token}, {"authorization": f"Bearer {token}"}):
        response = await client.get(ME, params=query)
        assert response.status_code == 401


async def test_the_jwks_is_refetched_only_for_an_unknown_kid_and_at_most_once_per_floor(stack, client, keys_factory, jwks_clock):
    """The floor's clock stands still unless the test moves it past the floor: a burst of
    requests falls inside one floor however slowly the machine answers them."""
    floor = stack.settings.jwks_refresh_min_seconds
    user = str(uuid.uuid4())
    assert (await client.get(ME, headers=stack.bearer(user))).status_code == 200
    jwks_clock.advance(floor + 0.1)
    before = stack.echo.jwks_fetches
    for _ in range(5):  # known kid: no fetch at all
        assert (await client.get(ME, headers=stack.bearer(user))).status_code == 200
    assert stack.echo.jwks_fetches == before
    strangers = [keys_factory() for _ in range(5)]
    for stranger in strangers:  # a burst of unknown kids: one fetch
        assert (await client.get(ME, headers={"Authorization": f"Bearer {stranger.access(user)}"})).status_code == 401
    assert stack.echo.jwks_fetches == before + 1

    # Rotation: auth publishes a new kid; after the floor it is accepted with one refresh.
    rotated = keys_factory()
    stack.echo.keys.append(rotated)
    jwks_clock.advance(floor + 0.1)
    response = await client.get(ME, headers={"Authorization": f"Bearer {rotated.access(user)}"})
    assert response.status_code == 200
    assert stack.echo.jwks_fetches == before + 2
    # The old kid retired from the JWKS: rejected once the gateway refreshes.
    stack.echo.keys.remove(stack.keys)
    old_token = stack.keys.access(user)
    jwks_clock.advance(floor + 0.1)
    await client.get(ME, headers={"Authorization": f"Bearer {keys_factory().access(user)}"})  # an unknown kid triggers a refresh
    assert stack.echo.jwks_fetches == before + 3
    assert (await client.get(ME, headers={"Authorization": f"Bearer {old_token}"})).status_code == 401
    stack.echo.keys.insert(0, stack.keys)
    jwks_clock.advance(floor + 0.1)
    assert (await client.get(ME, headers=stack.bearer(user))).status_code == 200
    assert stack.echo.jwks_fetches == before + 4


async def test_a_revoked_session_rejects_its_access_tokens(stack, client):
    user, sid = uuid.uuid4(), str(uuid.uuid4())
    headers = stack.bearer(user, sid=sid)
    assert (await client.get(ME, headers=headers)).status_code == 200
    await stack.db.execute(f"INSERT INTO {stack.schema}.revoked_sessions (sid, user_id) VALUES ($1, $2)", sid, user)
    assert (await client.get(ME, headers=headers)).status_code == 401
    assert (await client.get(ME, headers=stack.bearer(user))).status_code == 200  # other sessions unaffected


async def test_a_remembered_token_is_refused_once_it_expires(stack, client):
    """Tokens are verified once and remembered; the memory never outlives the token. This
    one is already past `exp` but inside the leeway, so it has about two seconds left."""
    leeway = stack.settings.jwt_leeway_seconds
    now = int(time.time())
    token = stack.keys.access(str(uuid.uuid4()), iat=now - 600, nbf=now - 600, exp=now - leeway + 2)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get(ME, headers=headers)).status_code == 200
    assert (await client.get(ME, headers=headers)).status_code == 200  # from memory
    await asyncio.sleep(max(0.0, now + 2.05 - time.time()))  # its leeway is over: only time had to pass
    response = await client.get(ME, headers=headers)
    assert response.status_code == 401, response.text


async def test_a_remembered_token_is_refused_once_its_key_leaves_the_jwks(stack, client, keys_factory, jwks_clock):
    floor = stack.settings.jwks_refresh_min_seconds
    user = str(uuid.uuid4())
    token = stack.keys.access(user)
    assert (await client.get(ME, headers={"Authorization": f"Bearer {token}"})).status_code == 200
    stack.echo.keys.remove(stack.keys)
    try:
        jwks_clock.advance(floor + 0.1)
        await client.get(ME, headers={"Authorization": f"Bearer {keys_factory().access(user)}"})  # refreshes the JWKS
        assert (await client.get(ME, headers={"Authorization": f"Bearer {token}"})).status_code == 401
    finally:
        stack.echo.keys.insert(0, stack.keys)
        jwks_clock.advance(floor + 0.1)
    assert (await client.get(ME, headers=stack.bearer(user))).status_code == 200
