"""In-memory implementations of the gateway's ports (adly_gateway.handlers.ports), for handler tests.

No Postgres, no broker, no JWKS: tokens are looked up in a table the test fills, the read
model is dictionaries, the rate limiter runs the domain's GCRA on a clock the test sets.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_gateway.domain.ratelimit import Decision, Limit, Quota, decide
from adly_gateway.handlers.admission import Admitter
from adly_gateway.handlers.ports import ApiKeyRecord, Directory, IdentityRecords, Limiter, MemberLimiter, Tokens

KEY = b"k" * 32
GENEROUS = Quota(1_000_000, 60.0)


class UnknownToken(Exception):
    pass


@dataclass
class TokenTable(Tokens):
    """Tokens the test issued: access token -> claims, 2FA proof -> subject; anything else is refused."""

    access: dict[str, dict[str, Any]] = field(default_factory=dict)
    proofs: dict[str, str] = field(default_factory=dict)

    def issue(self, sub: str, *, sid: str = "session-1", **claims: Any) -> str:
        token = f"token-{len(self.access) + 1}"
        self.access[token] = {"sub": sub, "sid": sid} | claims
        return token

    def prove(self, sub: str) -> str:
        proof = f"proof-{len(self.proofs) + 1}"
        self.proofs[proof] = sub
        return proof

    async def access_claims(self, token: str) -> dict[str, Any]:
        if token not in self.access:
            raise UnknownToken(token)
        return dict(self.access[token])

    async def two_factor_subject(self, token: str) -> str:
        if token not in self.proofs:
            raise UnknownToken(token)
        return self.proofs[token]


@dataclass
class Key:
    workspace_id: UUID
    role: str
    secret_sha256: str
    revoked: bool = False


@dataclass
class ReadModelInMemory(IdentityRecords, Directory):
    """Both sides of the identity read model: what the event handlers write, what admission reads."""

    workspaces: dict[UUID, bool] = field(default_factory=dict)  # id -> deleted
    members: dict[tuple[UUID, UUID], str] = field(default_factory=dict)
    keys: dict[UUID, Key] = field(default_factory=dict)
    revoked_sessions: dict[str, tuple[UUID, datetime]] = field(default_factory=dict)

    async def workspace_created(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        self.workspaces.setdefault(workspace_id, False)

    async def workspace_deleted(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        self.workspaces[workspace_id] = True
        self.members = {k: role for k, role in self.members.items() if k[0] != workspace_id}
        for key in self.keys.values():
            if key.workspace_id == workspace_id:
                key.revoked = True

    async def set_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, role: str) -> None:
        self.members[(workspace_id, user_id)] = role

    async def remove_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None:
        self.members.pop((workspace_id, user_id), None)

    async def api_key_created(self, tx: AsyncConnection, key_id: UUID, workspace_id: UUID, role: str,
                              secret_sha256: str) -> None:
        self.keys.setdefault(key_id, Key(workspace_id, role, secret_sha256))

    async def api_key_revoked(self, tx: AsyncConnection, key_id: UUID) -> None:
        if key_id in self.keys:
            self.keys[key_id].revoked = True

    async def session_revoked(self, tx: AsyncConnection, sid: str, user_id: UUID, at: datetime) -> None:
        self.revoked_sessions.setdefault(sid, (user_id, at))

    async def user(self, user_id: UUID, workspace_id: UUID | None, sid: str | None) -> tuple[str | None, bool]:
        role = self.members.get((workspace_id, user_id)) if workspace_id is not None else None
        return role, sid in self.revoked_sessions

    async def api_key(self, key_id: UUID) -> ApiKeyRecord | None:
        key = self.keys.get(key_id)
        if key is None:
            return None
        usable = not key.revoked and not self.workspaces.get(key.workspace_id, False)
        return ApiKeyRecord(key.workspace_id, key.role, key.secret_sha256, usable)


@dataclass
class ClockedLimiter(Limiter):
    """The domain's GCRA per key at `now`, which only the test moves: no token comes back unless it says so."""

    now: float = 1_000.0
    tats: dict[str, float] = field(default_factory=dict)

    async def check(self, limits: list[Limit]) -> list[Decision]:
        decisions = []
        for limit in limits:
            allowed, tat = decide(self.tats.get(limit.key), self.now, limit.quota)
            if allowed:
                self.tats[limit.key] = tat
            decisions.append(Decision(limit.policy, limit.quota, allowed, self.tats.get(limit.key, self.now), self.now))
        return decisions


@dataclass
class MemberLimiterOfBoth(MemberLimiter):
    """The read model's answer, then the limits charged as it allows: what Postgres does in one statement."""

    directory: ReadModelInMemory
    limiter: ClockedLimiter

    async def member_and_check(
        self, user_id: UUID, workspace_id: UUID | None, sid: str | None, limits: list[Limit],
        unless_revoked: Collection[str],
    ) -> tuple[str | None, bool, list[Decision]]:
        role, revoked = await self.directory.user(user_id, workspace_id, sid)
        charged = [limit for limit in limits if not (revoked and limit.key in unless_revoked)]
        return role, revoked, await self.limiter.check(charged)


def quotas(**overrides: str) -> dict[str, Quota]:
    """Every policy admission knows, generous unless the test names it (`default="2/60"`)."""
    names = ["default", "ip", "login", "login-ip", "two-factor", "two-factor-ip", "password-reset", "password-reset-ip"]
    return {name: Quota.parse(overrides[name.replace("-", "_")]) if name.replace("-", "_") in overrides else GENEROUS
            for name in names}


@dataclass
class Gate:
    """An admitter on the doubles, and the doubles, for the test to set up and look into."""

    tokens: TokenTable
    read_model: ReadModelInMemory
    limiter: ClockedLimiter
    admitter: Admitter


def gate(**quota_overrides: str) -> Gate:
    tokens, read_model, limiter = TokenTable(), ReadModelInMemory(), ClockedLimiter()
    members = MemberLimiterOfBoth(read_model, limiter)
    return Gate(tokens, read_model, limiter, Admitter(tokens, read_model, limiter, members, quotas(**quota_overrides), KEY))
