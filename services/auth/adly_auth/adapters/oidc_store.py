"""Server-side state of an OpenID Connect sign-in, and the links from provider subjects to users."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.domain.secrets import sha256
from adly_kit.sql import Statements, utc_now


class OidcStates:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def save(self, tx: AsyncConnection, provider: str, state: str, nonce: str, verifier: str, ttl: timedelta) -> None:
        await tx.execute(self.sql("""
            INSERT INTO {s}.oidc_states (state_sha256, provider, nonce, code_verifier, expires_at)
            VALUES (:h, :p, :n, :v, :exp)"""),
            {"h": sha256(state), "p": provider, "n": nonce, "v": verifier, "exp": utc_now() + ttl})

    async def take(self, tx: AsyncConnection, provider: str, state: str) -> tuple[str, str] | None:
        """(nonce, code verifier) of an unused, unexpired state; it cannot be taken twice."""
        row = (await tx.execute(self.sql("""
            UPDATE {s}.oidc_states SET used_at = now()
            WHERE state_sha256 = :h AND provider = :p AND used_at IS NULL AND expires_at > now()
            RETURNING nonce, code_verifier"""), {"h": sha256(state), "p": provider})).first()
        return (row[0], row[1]) if row else None


class OidcIdentities:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def user_of(self, tx: AsyncConnection, provider: str, subject: str) -> UUID | None:
        row = (await tx.execute(self.sql("SELECT user_id FROM {s}.oidc_identities WHERE provider = :p AND subject = :sub"),
                                {"p": provider, "sub": subject})).first()
        return row[0] if row else None

    async def link(self, tx: AsyncConnection, provider: str, subject: str, user_id: UUID) -> None:
        await tx.execute(self.sql("""INSERT INTO {s}.oidc_identities (provider, subject, user_id) VALUES (:p, :sub, :u)
                                     ON CONFLICT DO NOTHING"""), {"p": provider, "sub": subject, "u": user_id})
