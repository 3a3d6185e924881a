"""Sessions (refresh-token families, `sid`) and their rotating refresh tokens."""

from __future__ import annotations

import uuid
from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.domain.records import PresentedRefreshToken
from adly_auth.domain.secrets import new_refresh_token, sha256
from adly_kit.sql import Statements, utc_now


class Sessions:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def start(self, tx: AsyncConnection, user_id: UUID) -> UUID:
        sid = uuid.uuid4()
        await tx.execute(self.sql("INSERT INTO {s}.sessions (id, user_id) VALUES (:id, :u)"), {"id": sid, "u": user_id})
        return sid

    async def issue_refresh_token(self, tx: AsyncConnection, sid: UUID, ttl: timedelta) -> str:
        token = new_refresh_token()
        await tx.execute(self.sql("""INSERT INTO {s}.refresh_tokens (id, session_id, token_sha256, expires_at)
                                     VALUES (:id, :sid, :h, :exp)"""),
                         {"id": uuid.uuid4(), "sid": sid, "h": sha256(token), "exp": utc_now() + ttl})
        return token

    async def presented(self, tx: AsyncConnection, token: str) -> PresentedRefreshToken | None:
        """The token's row, locked: of two parallel refreshes, the second waits here and
        then sees the token rotated."""
        row = (await tx.execute(self.sql("""
            SELECT t.id, t.session_id, s.user_id, t.expires_at, t.rotated_at, s.revoked_at
            FROM {s}.refresh_tokens t JOIN {s}.sessions s ON s.id = t.session_id
            WHERE t.token_sha256 = :h FOR UPDATE OF t"""), {"h": sha256(token)})).first()
        return PresentedRefreshToken(*row) if row else None

    async def mark_rotated(self, tx: AsyncConnection, token_id: UUID) -> None:
        await tx.execute(self.sql("UPDATE {s}.refresh_tokens SET rotated_at = now() WHERE id = :id"), {"id": token_id})

    async def revoke(self, tx: AsyncConnection, sid: UUID, reason: str) -> UUID | None:
        """The session's user if this call revoked it; None if it was revoked already."""
        row = (await tx.execute(self.sql("""UPDATE {s}.sessions SET revoked_at = now(), revoke_reason = :r
                                            WHERE id = :id AND revoked_at IS NULL RETURNING user_id"""),
                                {"id": sid, "r": reason})).first()
        return row[0] if row else None

    async def revoke_all(self, tx: AsyncConnection, user_id: UUID, reason: str) -> list[UUID]:
        rows = await tx.execute(self.sql("""UPDATE {s}.sessions SET revoked_at = now(), revoke_reason = :r
                                            WHERE user_id = :u AND revoked_at IS NULL RETURNING id"""),
                                {"u": user_id, "r": reason})
        return [sid for (sid,) in rows]

    async def is_live(self, tx: AsyncConnection, sid: UUID, user_id: UUID) -> bool:
        row = (await tx.execute(self.sql("SELECT 1 FROM {s}.sessions WHERE id = :id AND user_id = :u AND revoked_at IS NULL"),
                                {"id": sid, "u": user_id})).first()
        return row is not None
