"""Sessions and tokens: start, refresh with rotation and reuse detection (RFC 9700 §4.14.2),
logout, client credentials."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.adapters.container import Adapters
from adly_auth.domain.secrets import api_key_id, looks_like_refresh_token, same_hash
from adly_auth.handlers.outcomes import OAuthError, Tokens
from adly_events.contracts.auth import SessionRevoked
from adly_kit.sql import utc_now

ACCESS_TOKEN_TYPE = "at+jwt"


async def start_session(tx: AsyncConnection, a: Adapters, user_id: UUID) -> Tokens:
    sid = await a.sessions.start(tx, user_id)
    return await _tokens(tx, a, user_id, sid)


async def refresh(tx: AsyncConnection, a: Adapters, token: str) -> Tokens | OAuthError:
    invalid = OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")
    presented = await a.sessions.presented(tx, token) if looks_like_refresh_token(token) else None
    if presented is None or presented.session_revoked_at is not None:
        return invalid
    if presented.rotated_at is not None:  # spent: someone replays it, so the whole family ends
        await revoke_session(tx, a, presented.session_id, "refresh_token_reuse")
        return invalid
    if presented.expires_at <= utc_now():
        return invalid
    await a.sessions.mark_rotated(tx, presented.id)
    return await _tokens(tx, a, presented.user_id, presented.session_id)


async def revoke_session(tx: AsyncConnection, a: Adapters, sid: UUID, reason: str) -> None:
    user_id = await a.sessions.revoke(tx, sid, reason)
    if user_id is not None:
        await _session_revoked(tx, a, sid, user_id, reason)


async def revoke_all_sessions(tx: AsyncConnection, a: Adapters, user_id: UUID, reason: str) -> None:
    for sid in await a.sessions.revoke_all(tx, user_id, reason):
        await _session_revoked(tx, a, sid, user_id, reason)


async def logout(tx: AsyncConnection, a: Adapters, sid: UUID) -> None:
    await revoke_session(tx, a, sid, "logout")


async def logout_everywhere(tx: AsyncConnection, a: Adapters, user_id: UUID) -> None:
    await revoke_all_sessions(tx, a, user_id, "logout_everywhere")


async def client_credentials(tx: AsyncConnection, a: Adapters, client_id: str, secret: str) -> Tokens | OAuthError:
    invalid = OAuthError("invalid_client", "Client authentication failed.", 401)
    key_id = api_key_id(secret)
    if key_id is None or not _same_id(client_id, key_id):
        return invalid
    key = await a.api_keys.get(tx, key_id)
    if key is None or key.revoked_at is not None or not same_hash(secret, key.secret_sha256):
        return invalid
    claims = {"sub": f"apikey:{key.id}", "ws": str(key.workspace_id), "role": key.role}
    return Tokens(await _access_token(tx, a, claims), a.settings.access_token_ttl_seconds)


async def _tokens(tx: AsyncConnection, a: Adapters, user_id: UUID, sid: UUID) -> Tokens:
    refresh_token = await a.sessions.issue_refresh_token(tx, sid, a.seconds("refresh_token_ttl"))
    access = await _access_token(tx, a, {"sub": str(user_id), "sid": str(sid)})
    return Tokens(access, a.settings.access_token_ttl_seconds, refresh_token)


async def _access_token(tx: AsyncConnection, a: Adapters, claims: dict[str, Any]) -> str:
    return await a.keys.sign(tx, claims, typ=ACCESS_TOKEN_TYPE, audience=a.settings.audience,
                             ttl=a.seconds("access_token_ttl"))


async def _session_revoked(tx: AsyncConnection, a: Adapters, sid: UUID, user_id: UUID, reason: str) -> None:
    await a.events.record(tx, [SessionRevoked(user_id=user_id, reason=reason)], aggregate_id=sid, expected_version=0)


def _same_id(client_id: str, key_id: UUID) -> bool:
    try:
        return UUID(client_id) == key_id
    except ValueError:
        return False
