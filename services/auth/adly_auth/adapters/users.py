"""Users, their one-time links (email verification, password reset) and recovery codes."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.domain.locale import DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE, Language
from adly_auth.domain.records import User
from adly_auth.domain.secrets import random_token, sha256
from adly_auth.domain.totp import TotpState
from adly_kit.sql import Statements, utc_now

_COLUMNS = """id, email, password_hash, email_verified_at, created_at, event_version, totp_secret,
              totp_enabled_at, totp_last_step, totp_failures, totp_locked_until, language, time_zone"""


class Users:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def get(self, tx: AsyncConnection, user_id: UUID, *, lock: bool = False) -> User | None:
        suffix = " FOR UPDATE" if lock else ""
        row = (await tx.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.users WHERE id = :id{suffix}"), {"id": user_id})).first()
        return User(*row) if row else None

    async def by_email(self, tx: AsyncConnection, email: str) -> User | None:
        row = (await tx.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.users WHERE email = :e"), {"e": email})).first()
        return User(*row) if row else None

    async def add(self, tx: AsyncConnection, user_id: UUID, email: str, password_hash: str | None, verified: bool,
                  language: Language = DEFAULT_LANGUAGE, time_zone: str = DEFAULT_TIME_ZONE) -> bool:
        """False if the email is taken."""
        result = await tx.execute(self.sql("""
            INSERT INTO {s}.users (id, email, password_hash, email_verified_at, language, time_zone)
            VALUES (:id, :email, :hash, CASE WHEN :verified THEN now() END, :language, :tz)
            ON CONFLICT (email) DO NOTHING"""), {"id": user_id, "email": email, "hash": password_hash, "verified": verified,
                                                  "language": language, "tz": time_zone})
        return result.rowcount == 1

    async def set_locale(self, tx: AsyncConnection, user_id: UUID, language: Language, time_zone: str) -> None:
        await tx.execute(self.sql("UPDATE {s}.users SET language = :language, time_zone = :tz WHERE id = :id"),
                         {"id": user_id, "language": language, "tz": time_zone})

    async def set_password_hash(self, tx: AsyncConnection, user_id: UUID, password_hash: str) -> None:
        await tx.execute(self.sql("UPDATE {s}.users SET password_hash = :h WHERE id = :id"), {"id": user_id, "h": password_hash})

    async def mark_verified(self, tx: AsyncConnection, user_id: UUID) -> bool:
        result = await tx.execute(self.sql(
            "UPDATE {s}.users SET email_verified_at = now() WHERE id = :id AND email_verified_at IS NULL"), {"id": user_id})
        return result.rowcount == 1

    async def set_event_version(self, tx: AsyncConnection, user_id: UUID, version: int) -> None:
        await tx.execute(self.sql("UPDATE {s}.users SET event_version = :v WHERE id = :id"), {"id": user_id, "v": version})

    async def set_pending_totp(self, tx: AsyncConnection, user_id: UUID, sealed_secret: str) -> None:
        await tx.execute(self.sql("""UPDATE {s}.users SET totp_secret = :secret, totp_last_step = NULL,
                                     totp_failures = 0, totp_locked_until = NULL WHERE id = :id"""),
                         {"id": user_id, "secret": sealed_secret})

    async def enable_totp(self, tx: AsyncConnection, user_id: UUID) -> None:
        await tx.execute(self.sql("UPDATE {s}.users SET totp_enabled_at = now() WHERE id = :id"), {"id": user_id})

    async def save_totp_state(self, tx: AsyncConnection, user_id: UUID, state: TotpState) -> None:
        await tx.execute(self.sql("""UPDATE {s}.users SET totp_last_step = :step, totp_failures = :failures,
                                     totp_locked_until = :until WHERE id = :id"""),
                         {"id": user_id, "step": state.last_step, "failures": state.failures, "until": state.locked_until})


class OneTimeTokens:
    """Single-use, expiring links; only the SHA-256 of the token is stored."""

    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def issue(self, tx: AsyncConnection, purpose: str, user_id: UUID, ttl: timedelta) -> str:
        token = random_token()
        await tx.execute(self.sql("""INSERT INTO {s}.one_time_tokens (token_sha256, purpose, user_id, expires_at)
                                     VALUES (:h, :p, :u, :exp)"""),
                         {"h": sha256(token), "p": purpose, "u": user_id, "exp": utc_now() + ttl})
        return token

    async def consume(self, tx: AsyncConnection, purpose: str, token: str) -> UUID | None:
        row = (await tx.execute(self.sql("""
            UPDATE {s}.one_time_tokens SET used_at = now()
            WHERE token_sha256 = :h AND purpose = :p AND used_at IS NULL AND expires_at > now()
            RETURNING user_id"""), {"h": sha256(token), "p": purpose})).first()
        return row[0] if row else None

    async def spend_all(self, tx: AsyncConnection, user_id: UUID, purpose: str) -> None:
        await tx.execute(self.sql("""UPDATE {s}.one_time_tokens SET used_at = now()
                                     WHERE user_id = :u AND purpose = :p AND used_at IS NULL"""), {"u": user_id, "p": purpose})


class RecoveryCodes:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def replace(self, tx: AsyncConnection, user_id: UUID, codes: list[str]) -> None:
        await tx.execute(self.sql("DELETE FROM {s}.recovery_codes WHERE user_id = :u"), {"u": user_id})
        await tx.execute(self.sql("INSERT INTO {s}.recovery_codes (user_id, code_sha256) SELECT :u, unnest(CAST(:h AS text[]))"),
                         {"u": user_id, "h": [sha256(code) for code in codes]})

    async def use(self, tx: AsyncConnection, user_id: UUID, normalised_code: str) -> bool:
        result = await tx.execute(self.sql("""UPDATE {s}.recovery_codes SET used_at = now()
                                              WHERE user_id = :u AND code_sha256 = :h AND used_at IS NULL"""),
                                  {"u": user_id, "h": sha256(normalised_code)})
        return result.rowcount == 1
