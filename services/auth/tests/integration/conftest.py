"""The auth service in-process: migrated schema, real Postgres and broker, a local SMTP
server and a fake OpenID Connect provider (both on 127.0.0.1); requests carry an
X-Adly-Identity signed like the gateway signs it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from urllib.parse import parse_qs
from uuid import UUID

import httpx
import jwt
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, HTTPException, Request
from sqlalchemy import text

from adly_auth.bootstrap import MIGRATIONS, build
from adly_auth.domain import totp
from adly_auth.settings import AuthSettings
from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.identity import sign
from adly_kit.service import Runtime
from adly_kit.testing.plugin import KafkaUnderTest, drop_schema

PASSWORD = "correct horse battery staple"
CLIENT_ID, CLIENT_SECRET = "adly-test-client", "fake-client-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stall:
    """Holds a delivery in the SMTP server until released, and says when one is held."""

    def __init__(self) -> None:
        self.held, self.released = threading.Event(), threading.Event()

    async def hold(self) -> None:
        self.held.set()
        await asyncio.get_running_loop().run_in_executor(None, self.released.wait)


class Inbox:
    """aiosmtpd handler keeping every delivered message; it can refuse the next deliveries
    (`refuse`) or hold them (`stall`), for tests of the mail runner."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse = 0
        self.stall: Stall | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.stall is not None:
            await self.stall.hold()
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"].lower() == address.lower()]

    def link_token(self, address: str, path: str) -> str | None:
        for message in reversed(self.to(address)):
            match = re.search(rf"/{path}[?/](?:token=)?([A-Za-z0-9_%.-]+)", message.get_payload(decode=True).decode())
            if match:
                return match.group(1)
        return None


class FakeSmtp:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> FakeSmtp:
        self.controller.start()
        return self

    def __exit__(self, *_) -> None:
        self.controller.stop()


class FakeOidcProvider:
    """Discovery, JWKS, a token endpoint checking PKCE, RS256 id_tokens."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "fake-1"
        self.codes: dict[str, dict] = {}
        self.app = self._app()
        self.server: uvicorn.Server | None = None

    def grant(self, *, nonce: str, code_challenge: str, sign_with=None, **claims) -> str:
        """What the user's consent at the authorization endpoint would produce: a code."""
        code = secrets.token_urlsafe(16)
        now = int(time.time())
        base = {"iss": self.issuer, "aud": self.client_id, "sub": "google-user-1", "email": "ada@example.com",
                "email_verified": True, "nonce": nonce, "iat": now, "exp": now + 300}
        self.codes[code] = {"claims": base | claims, "challenge": code_challenge, "key": sign_with or self.key}
        return code

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery():
            return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks"}

        @app.get("/jwks")
        async def jwks():
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return {"keys": [jwk | {"kid": self.kid, "use": "sig", "alg": "RS256"}]}

        @app.post("/token")
        async def token(request: Request):
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            code, client_id, client_secret = form.get("code"), form.get("client_id"), form.get("client_secret")
            code_verifier = form.get("code_verifier", "")
            granted = self.codes.pop(code, None)
            if granted is None or client_id != self.client_id or client_secret != self.client_secret:
                raise HTTPException(400, "invalid_grant")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != granted["challenge"]:
                raise HTTPException(400, "invalid_grant")
            id_token = jwt.encode(granted["claims"], granted["key"], algorithm="RS256", headers={"kid": self.kid})
            return {"access_token": "x", "token_type": "Bearer", "id_token": id_token}

        return app

    async def __aenter__(self) -> FakeOidcProvider:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False,
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *_) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self._task, 10)


@dataclass
class Person:
    user_id: UUID
    email: str
    sid: str
    access_token: str
    refresh_token: str
    totp_secret: str | None = None
    recovery_codes: list[str] | None = None


class AuthHarness:
    password = PASSWORD

    def __init__(self, client: httpx.AsyncClient, settings: AuthSettings, smtp: FakeSmtp, oidc: FakeOidcProvider,
                 runtime: Runtime) -> None:
        self.client, self.settings, self.smtp, self.oidc, self.runtime = client, settings, smtp, oidc, runtime

    @property
    def inbox(self) -> Inbox:
        return self.smtp.inbox

    def identity(self, person: Person | None = None, *, mfa: bool = False, sub: str | None = None,
                 kind: str = "user", sid: str | None = None, ws=None, role=None) -> dict[str, str]:
        claims = {"sub": sub or str(person.user_id), "kind": kind, "sid": sid or (person.sid if person else None),
                  "mfa": mfa, "ws": str(ws) if ws else None, "role": role, "rid": "test"}
        key = self.settings.internal_identity_key.get_secret_value().encode()
        return {"X-Adly-Identity": sign(claims, key)}

    async def mail_token(self, email: str, path: str, timeout: float = 60.0, *, after: int = 0) -> str:
        """The token of the newest `/<path>` link among the mails to `email` after the first `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.inbox.to(email)) > after:
                token = self.inbox.link_token(email, path)
                if token:
                    return token
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {path} mail arrived ({after} mails before)")

    async def signup(self, email: str | None = None) -> Person:
        """Sign up and follow the mailed link, which creates the account, verified, and signs in."""
        email = email or f"user-{secrets.token_hex(4)}@example.com"
        before = len(self.inbox.to(email))
        response = await self.client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD})
        assert response.status_code == 202, response.text
        token = await self.mail_token(email, "confirm-signup", after=before)
        confirmed = await self.client.post("/v1/auth/signup/confirm", json={"token": token})
        assert confirmed.status_code == 201, confirmed.text
        return person_from(confirmed.json(), email)

    async def with_two_factor(self, person: Person) -> Person:
        enrolled = (await self.client.post("/v1/auth/2fa/enroll", headers=self.identity(person))).json()
        person.totp_secret = enrolled["secret"]
        response = await self.client.post("/v1/auth/2fa/confirm", json={"code": self.code(person, -1)},
                                          headers=self.identity(person))
        assert response.status_code == 204, response.text
        person.recovery_codes = enrolled["recovery_codes"]
        return person

    def code(self, person: Person, offset: int = 0) -> str:
        return totp.code_at_step(person.totp_secret, totp.step_at_now() + offset)

    async def events(self, sql_filter: str = "", **params) -> list[tuple[str, dict]]:
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(text(
                f"SELECT event_type, envelope->'payload' FROM {self.settings.schema}.events {sql_filter} ORDER BY position"
            ), params)
            return [(t, p) for t, p in rows]


def person_from(tokens: dict, email: str) -> Person:
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return Person(UUID(claims["sub"]), email, claims["sid"], tokens["access_token"], tokens["refresh_token"])


@pytest.fixture
async def auth(service_settings, kafka: KafkaUnderTest):
    with FakeSmtp() as smtp:
        async with FakeOidcProvider(CLIENT_ID, CLIENT_SECRET) as oidc:
            settings = AuthSettings(
                **service_settings.model_dump(exclude={"service_name"}), service_name=service_settings.service_name,
                smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False, mail_poll_seconds=0.2,
                public_base_url="https://app.adly.test", oidc_google_issuer=oidc.issuer,
                oidc_google_client_id=CLIENT_ID, oidc_google_client_secret=CLIENT_SECRET,
                oidc_google_redirect_uri="https://app.adly.test/v1/auth/oidc/google/callback",
                access_token_ttl_seconds=5, signing_key_overlap_seconds=5,
            )
            await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))
            runtime = Runtime(build(settings.schema), settings)
            app = create_app(runtime, ("api", "worker", "relay"))
            try:
                async with app.router.lifespan_context(app):
                    transport = httpx.ASGITransport(app=app)
                    async with httpx.AsyncClient(transport=transport, base_url="https://auth.adly.test") as client:
                        yield AuthHarness(client, settings, smtp, oidc, runtime)
            finally:
                await drop_schema(settings)
