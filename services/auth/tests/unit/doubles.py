"""In-memory implementations of auth's ports, for handler tests without Postgres or a broker.

Each keeps what it holds in plain dicts; every event a handler records, through any port,
lands in one `EventLog` with the versions the real event store would check. Mails land in
`Outbox.mails`, in the order they were queued. Sign-up links are sealed by the real
adapter, which does no I/O.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from adly_auth.adapters.container import Adapters
from adly_auth.adapters.signup_tokens import SealedSignupTokens
from adly_auth.domain.locale import DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE, Language
from adly_auth.domain.records import ApiKey, Invitation, Mail, PresentedRefreshToken, User
from adly_auth.domain.secrets import new_refresh_token
from adly_auth.domain.totp import TotpState
from adly_auth.domain.workspace import Role, Workspace
from adly_auth.handlers.ports import InvalidToken
from adly_auth.settings import AuthSettings
from adly_events.contracts.common import Contract
from adly_kit.crypto import Keyring
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.settings import DEV_ENCRYPTION_KEYS
from adly_kit.sql import utc_now

C = TypeVar("C", bound=Contract)
Tx = Any  # the handlers' transaction: NO_DATABASE in these tests, never touched by a double


class Unused:
    """Stands for an adapter only the edges use (the engine, the read-model queries): a
    handler that reaches for it fails loudly."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise AssertionError(f"a handler used {self._name}.{attribute}; handlers go through their ports")


@dataclass(frozen=True)
class Recorded:
    aggregate_id: UUID
    version: int
    payload: Contract
    workspace_id: UUID | None = None


class EventLog(list[Recorded]):
    async def record(self, tx: Tx, payloads: Sequence[Contract], *, aggregate_id: UUID, expected_version: int,
                     workspace_id: UUID | None = None) -> None:
        if self.version_of(aggregate_id) != expected_version:
            raise ConcurrencyConflict(aggregate_id, expected_version)
        self += [Recorded(aggregate_id, expected_version + n, p, workspace_id) for n, p in enumerate(payloads, start=1)]

    def version_of(self, aggregate_id: UUID) -> int:
        return max((e.version for e in self if e.aggregate_id == aggregate_id), default=0)

    def of(self, aggregate_id: UUID) -> list[Contract]:
        return [e.payload for e in self if e.aggregate_id == aggregate_id]

    def of_type(self, kind: type[C]) -> list[C]:
        return [e.payload for e in self if isinstance(e.payload, kind)]


class InMemoryWorkspaces:
    def __init__(self, log: EventLog) -> None:
        self.log = log

    async def load(self, tx: Tx, workspace_id: UUID) -> Workspace:
        return Workspace.replay(workspace_id, self.log.of(workspace_id))

    async def save(self, tx: Tx, workspace: Workspace, new_events: Sequence[Contract]) -> None:
        if new_events:
            await self.log.record(tx, new_events, aggregate_id=workspace.id,
                                  expected_version=workspace.version - len(new_events), workspace_id=workspace.id)


class InMemoryUsers:
    def __init__(self) -> None:
        self.rows: dict[UUID, User] = {}

    async def get(self, tx: Tx, user_id: UUID, *, lock: bool = False) -> User | None:
        return self.rows.get(user_id)

    async def by_email(self, tx: Tx, email: str) -> User | None:
        return next((u for u in self.rows.values() if u.email == email), None)

    async def add(self, tx: Tx, user_id: UUID, email: str, password_hash: str | None, verified: bool,
                  language: Language = DEFAULT_LANGUAGE, time_zone: str = DEFAULT_TIME_ZONE) -> bool:
        if await self.by_email(tx, email) is not None:
            return False
        self.rows[user_id] = User(user_id, email, password_hash, utc_now() if verified else None, utc_now(), 0,
                                  None, None, None, 0, None, language, time_zone)
        return True

    async def set_locale(self, tx: Tx, user_id: UUID, language: Language, time_zone: str) -> None:
        self._change(user_id, language=language, time_zone=time_zone)

    async def set_password_hash(self, tx: Tx, user_id: UUID, password_hash: str) -> None:
        self._change(user_id, password_hash=password_hash)

    async def mark_verified(self, tx: Tx, user_id: UUID) -> bool:
        if self.rows[user_id].email_verified_at is not None:
            return False
        self._change(user_id, email_verified_at=utc_now())
        return True

    async def set_event_version(self, tx: Tx, user_id: UUID, version: int) -> None:
        self._change(user_id, event_version=version)

    async def set_pending_totp(self, tx: Tx, user_id: UUID, sealed_secret: str) -> None:
        self._change(user_id, totp_secret=sealed_secret, totp_last_step=None, totp_failures=0, totp_locked_until=None)

    async def enable_totp(self, tx: Tx, user_id: UUID) -> None:
        self._change(user_id, totp_enabled_at=utc_now())

    async def save_totp_state(self, tx: Tx, user_id: UUID, state: TotpState) -> None:
        self._change(user_id, totp_last_step=state.last_step, totp_failures=state.failures,
                     totp_locked_until=state.locked_until)

    def _change(self, user_id: UUID, **values: Any) -> None:
        self.rows[user_id] = replace(self.rows[user_id], **values)


@dataclass
class Link:
    purpose: str
    user_id: UUID
    expires_at: datetime
    used: bool = False


class InMemoryLinks:
    def __init__(self) -> None:
        self.issued: dict[str, Link] = {}

    async def issue(self, tx: Tx, purpose: str, user_id: UUID, ttl: timedelta) -> str:
        token = uuid.uuid4().hex
        self.issued[token] = Link(purpose, user_id, utc_now() + ttl)
        return token

    async def consume(self, tx: Tx, purpose: str, token: str) -> UUID | None:
        link = self.issued.get(token)
        if link is None or link.used or link.purpose != purpose or link.expires_at <= utc_now():
            return None
        link.used = True
        return link.user_id

    async def spend_all(self, tx: Tx, user_id: UUID, purpose: str) -> None:
        for link in self.issued.values():
            if link.user_id == user_id and link.purpose == purpose:
                link.used = True


class InMemoryRecoveryCodes:
    def __init__(self) -> None:
        self.unused: dict[UUID, set[str]] = {}

    async def replace(self, tx: Tx, user_id: UUID, codes: list[str]) -> None:
        self.unused[user_id] = set(codes)

    async def use(self, tx: Tx, user_id: UUID, normalised_code: str) -> bool:
        codes = self.unused.get(user_id, set())
        if normalised_code not in codes:
            return False
        codes.remove(normalised_code)
        return True


@dataclass
class Session:
    user_id: UUID
    revoked_at: datetime | None = None
    reason: str | None = None


class InMemorySessions:
    def __init__(self) -> None:
        self.sessions: dict[UUID, Session] = {}
        self.tokens: dict[str, PresentedRefreshToken] = {}

    async def start(self, tx: Tx, user_id: UUID) -> UUID:
        sid = uuid.uuid4()
        self.sessions[sid] = Session(user_id)
        return sid

    async def issue_refresh_token(self, tx: Tx, sid: UUID, ttl: timedelta) -> str:
        token = new_refresh_token()
        self.tokens[token] = PresentedRefreshToken(uuid.uuid4(), sid, self.sessions[sid].user_id, utc_now() + ttl,
                                                   None, None)
        return token

    async def presented(self, tx: Tx, token: str) -> PresentedRefreshToken | None:
        found = self.tokens.get(token)
        return replace(found, session_revoked_at=self.sessions[found.session_id].revoked_at) if found else None

    async def mark_rotated(self, tx: Tx, token_id: UUID) -> None:
        token = next(t for t, row in self.tokens.items() if row.id == token_id)
        self.tokens[token] = replace(self.tokens[token], rotated_at=utc_now())

    async def revoke(self, tx: Tx, sid: UUID, reason: str) -> UUID | None:
        session = self.sessions.get(sid)
        if session is None or session.revoked_at is not None:
            return None
        session.revoked_at, session.reason = utc_now(), reason
        return session.user_id

    async def revoke_all(self, tx: Tx, user_id: UUID, reason: str) -> list[UUID]:
        live = [sid for sid, s in self.sessions.items() if s.user_id == user_id and s.revoked_at is None]
        return [sid for sid in live if await self.revoke(tx, sid, reason)]

    async def is_live(self, tx: Tx, sid: UUID, user_id: UUID) -> bool:
        session = self.sessions.get(sid)
        return session is not None and session.user_id == user_id and session.revoked_at is None


class InMemorySigningKeys:
    """Tokens in the clear (JSON): what matters here is who gets one for what, not the signature."""

    def __init__(self) -> None:
        self.kids = ["key-1"]

    async def ensure_active(self, tx: Tx) -> None:
        pass

    async def rotate(self, tx: Tx, overlap: timedelta) -> str:
        self.kids.append(f"key-{len(self.kids) + 1}")
        return self.kids[-1]

    async def published(self, tx: Tx) -> list[dict[str, Any]]:
        return [{"kid": kid} for kid in self.kids]

    async def sign(self, tx: Tx, claims: dict[str, Any], *, typ: str, audience: str, ttl: timedelta) -> str:
        return json.dumps({"typ": typ, "aud": audience, "exp": (utc_now() + ttl).isoformat()} | claims)

    async def verify(self, tx: Tx, token: str, *, typ: str, audience: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = json.loads(token)
        except ValueError:
            raise InvalidToken("not a token") from None
        if claims.get("typ") != typ or claims.get("aud") != audience:
            raise InvalidToken("a token for something else")
        return claims


def claims_of(token: str) -> dict[str, Any]:
    return json.loads(token)


class Outbox:
    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def enqueue(self, tx: Tx, mail: Mail) -> UUID:
        self.mails.append(mail)
        return uuid.uuid4()

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if m.to == address]

    def link_token(self, address: str, path: str) -> str:
        """The token of the last link to `path` mailed to the address."""
        (match, *_) = [m for m in (re.search(rf"/{path}[?/](?:token=)?([A-Za-z0-9_%.-]+)", mail.body)
                                   for mail in reversed(self.to(address))) if m]
        return match.group(1)


class InMemoryInvitations:
    def __init__(self) -> None:
        self.rows: dict[str, Invitation] = {}

    async def create(self, tx: Tx, workspace_id: UUID, email: str, role: Role, by: UUID, ttl: timedelta
                     ) -> tuple[Invitation, str]:
        token = uuid.uuid4().hex
        self.rows[token] = Invitation(uuid.uuid4(), workspace_id, email, str(role), by, utc_now() + ttl, None)
        return self.rows[token], token

    async def by_token(self, tx: Tx, token: str) -> Invitation | None:
        return self.rows.get(token)

    async def mark_accepted(self, tx: Tx, invitation_id: UUID) -> None:
        token = next(t for t, i in self.rows.items() if i.id == invitation_id)
        self.rows[token] = replace(self.rows[token], accepted_at=utc_now())


class InMemoryApiKeys:
    def __init__(self) -> None:
        self.rows: dict[UUID, ApiKey] = {}

    async def add(self, tx: Tx, key: ApiKey) -> None:
        self.rows[key.id] = key

    async def get(self, tx: Tx, key_id: UUID, *, lock: bool = False) -> ApiKey | None:
        return self.rows.get(key_id)

    async def of_workspace(self, tx: Tx, workspace_id: UUID, *, live_only: bool = False) -> list[ApiKey]:
        return [k for k in self.rows.values()
                if k.workspace_id == workspace_id and (k.revoked_at is None or not live_only)]

    async def mark_revoked(self, tx: Tx, key_id: UUID, version: int) -> None:
        self.rows[key_id] = replace(self.rows[key_id], revoked_at=utc_now(), event_version=version)


class InMemoryOidcStates:
    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], tuple[str, str]] = {}

    async def save(self, tx: Tx, provider: str, state: str, nonce: str, verifier: str, ttl: timedelta) -> None:
        self.saved[(provider, state)] = (nonce, verifier)

    async def take(self, tx: Tx, provider: str, state: str) -> tuple[str, str] | None:
        return self.saved.pop((provider, state), None)


class InMemoryOidcIdentities:
    def __init__(self) -> None:
        self.links: dict[tuple[str, str], UUID] = {}

    async def user_of(self, tx: Tx, provider: str, subject: str) -> UUID | None:
        return self.links.get((provider, subject))

    async def link(self, tx: Tx, provider: str, subject: str, user_id: UUID) -> None:
        self.links.setdefault((provider, subject), user_id)


class PlainPasswords:
    """No Argon2 here: a hash is the password with a prefix. Counts hashes and verifications,
    so a test can see that an unknown email costs the same work as a known one."""

    def __init__(self) -> None:
        self.hashes = 0
        self.verifications = 0

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return f"plain:{password}"

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        self.verifications += 1
        return stored_hash == f"plain:{password}"

    def needs_rehash(self, stored_hash: str) -> bool:
        return False


@dataclass
class World:
    """The adapters a handler gets, and the doubles behind them for the test to look into."""

    a: Adapters
    log: EventLog
    users: InMemoryUsers
    sessions: InMemorySessions
    outbox: Outbox
    api_keys: InMemoryApiKeys
    passwords: PlainPasswords
    invitations: InMemoryInvitations


def world(**settings: Any) -> World:
    values = {"service_name": "auth", "database_url": "postgresql://unit@nowhere/none",
              "kafka_bootstrap_servers": "nowhere:9092", "public_base_url": "https://app.adly.test"} | settings
    log, users, sessions, outbox = EventLog(), InMemoryUsers(), InMemorySessions(), Outbox()
    api_keys, passwords, invitations = InMemoryApiKeys(), PlainPasswords(), InMemoryInvitations()
    keyring = Keyring.from_setting(DEV_ENCRYPTION_KEYS)
    a = Adapters(
        settings=AuthSettings(**values), engine=Unused("engine"), keyring=keyring,
        events=log, passwords=passwords, signup_tokens=SealedSignupTokens(keyring), keys=InMemorySigningKeys(),
        users=users, links=InMemoryLinks(),
        recovery_codes=InMemoryRecoveryCodes(), sessions=sessions, mail=outbox, workspaces=InMemoryWorkspaces(log),
        invitations=invitations, api_keys=api_keys, oidc_states=InMemoryOidcStates(),
        oidc_identities=InMemoryOidcIdentities(), workspace_queries=Unused("workspace_queries"),
        mail_delivery=Unused("mail_delivery"),
    )
    return World(a, log, users, sessions, outbox, api_keys, passwords, invitations)
