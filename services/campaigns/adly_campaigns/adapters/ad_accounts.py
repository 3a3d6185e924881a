"""Ad accounts and logins in flight: rows with their events beside them. Tokens are sealed
with the kit's keyring, bound to their row (the AAD), and only ever opened in memory to
call the platform."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.domain.ports import AccountAccess, PlatformToken
from adly_campaigns.handlers.ports import AdAccount, Login
from adly_events.contracts.common import AdPlatform, Contract
from adly_kit.crypto import Keyring, Sealed
from adly_kit.eventstore import EventStore
from adly_kit.recording import record
from adly_kit.sql import Statements, utc_now

LOGIN_TTL = timedelta(minutes=30)
_ACCOUNT = """id, workspace_id, platform, platform_account_id, name, currency, time_zone, status, page_id, pixel_id,
    status_reason, token_expires_at"""


def _account(row: Sequence[Any]) -> AdAccount:
    values = list(row)
    values[2] = AdPlatform(values[2])
    return AdAccount(*values)


def _seal_token(keyring: Keyring, token: PlatformToken, aad: bytes) -> str:
    plain = json.dumps({"access_token": token.access_token, "refresh_token": token.refresh_token,
                        "scopes": token.scopes}).encode()
    return keyring.encrypt(plain, aad=aad).to_text()


def _open_token(keyring: Keyring, sealed: str, expires_at: datetime | None, aad: bytes) -> PlatformToken:
    data = json.loads(keyring.decrypt(Sealed.from_text(sealed), aad=aad))
    return PlatformToken(data["access_token"], expires_at, data.get("refresh_token"), data.get("scopes") or [])


class AdAccountRepository:
    def __init__(self, schema: str, keyring: Keyring, store: EventStore) -> None:
        self.sql = Statements(schema)
        self.keyring = keyring
        self.store = store

    @staticmethod
    def aad(account_id: UUID) -> bytes:
        return f"{account_id}|ad-account-token".encode()

    async def get(self, tx: AsyncConnection, workspace_id: UUID, account_id: UUID) -> AdAccount | None:
        row = (await tx.execute(self.sql(f"SELECT {_ACCOUNT} FROM {{s}}.ad_accounts WHERE id = :id AND workspace_id = :w"),
                                {"id": account_id, "w": workspace_id})).first()
        return _account(row) if row else None

    async def connected(self, tx: AsyncConnection, workspace_id: UUID) -> list[AdAccount]:
        rows = await tx.execute(self.sql(f"""SELECT {_ACCOUNT} FROM {{s}}.ad_accounts
            WHERE workspace_id = :w AND status <> 'disconnected' ORDER BY connected_at"""), {"w": workspace_id})
        return [_account(row) for row in rows]

    async def access(self, tx: AsyncConnection, account_id: UUID) -> AccountAccess | None:
        row = (await tx.execute(self.sql("""SELECT platform_account_id, token_sealed, token_expires_at, currency,
            time_zone, page_id, pixel_id FROM {s}.ad_accounts WHERE id = :id AND status = 'connected'"""),
            {"id": account_id})).first()
        if row is None or row[1] is None:
            return None
        token = _open_token(self.keyring, row[1], row[2], self.aad(account_id))
        return AccountAccess(row[0], token.access_token, row[3], row[4], row[5], row[6], account_id, row[2])

    async def locked_token(self, tx: AsyncConnection, account_id: UUID) -> tuple[AdPlatform, PlatformToken] | None:
        row = (await tx.execute(self.sql("""SELECT platform, token_sealed, token_expires_at FROM {s}.ad_accounts
            WHERE id = :id AND status = 'connected' FOR UPDATE"""), {"id": account_id})).first()
        if row is None or row[1] is None:
            return None
        return AdPlatform(row[0]), _open_token(self.keyring, row[1], row[2], self.aad(account_id))

    async def keep_token(self, tx: AsyncConnection, account_id: UUID, token: PlatformToken) -> None:
        await tx.execute(self.sql("""UPDATE {s}.ad_accounts SET token_sealed = :sealed, token_expires_at = :exp,
            updated_at = now() WHERE id = :id"""),
            {"id": account_id, "sealed": _seal_token(self.keyring, token, self.aad(account_id)), "exp": token.expires_at})

    async def save_connection(self, tx: AsyncConnection, account: AdAccount, token: PlatformToken, by: str) -> AdAccount:
        existing = (await tx.execute(self.sql("""SELECT id FROM {s}.ad_accounts
            WHERE workspace_id = :w AND platform = :p AND platform_account_id = :a"""),
            {"w": account.workspace_id, "p": account.platform.value, "a": account.platform_account_id})).first()
        account_id = existing[0] if existing else account.id
        sealed = _seal_token(self.keyring, token, self.aad(account_id))
        await tx.execute(self.sql("""
            INSERT INTO {s}.ad_accounts (id, workspace_id, platform, platform_account_id, name, currency, time_zone,
                token_sealed, token_expires_at, page_id, pixel_id, status, connected_by)
            VALUES (:id, :w, :p, :a, :name, :currency, :tz, :sealed, :exp, :page, :pixel, 'connected', :by)
            ON CONFLICT (workspace_id, platform, platform_account_id) DO UPDATE SET name = EXCLUDED.name,
                currency = EXCLUDED.currency, time_zone = EXCLUDED.time_zone, token_sealed = EXCLUDED.token_sealed,
                token_expires_at = EXCLUDED.token_expires_at, page_id = EXCLUDED.page_id,
                pixel_id = EXCLUDED.pixel_id, status = 'connected', status_reason = NULL,
                connected_by = EXCLUDED.connected_by, updated_at = now()"""),
            {"id": account_id, "w": account.workspace_id, "p": account.platform.value, "a": account.platform_account_id,
             "name": account.name, "currency": account.currency, "tz": account.time_zone, "sealed": sealed,
             "exp": token.expires_at, "page": account.page_id, "pixel": account.pixel_id, "by": by})
        found = await self.get(tx, account.workspace_id, account_id)
        assert found is not None
        return found

    async def choose(self, tx: AsyncConnection, account_id: UUID, page_id: str | None, pixel_id: str | None) -> None:
        await tx.execute(self.sql("""UPDATE {s}.ad_accounts SET page_id = :page, pixel_id = :pixel, updated_at = now()
            WHERE id = :id"""), {"id": account_id, "page": page_id, "pixel": pixel_id})

    async def set_status(self, tx: AsyncConnection, account_id: UUID, status: str, reason: str | None) -> None:
        forget = ", token_sealed = NULL, token_expires_at = NULL" if status == "disconnected" else ""
        await tx.execute(self.sql(f"""UPDATE {{s}}.ad_accounts SET status = :status, status_reason = :reason,
            updated_at = now(){forget} WHERE id = :id"""), {"id": account_id, "status": status, "reason": reason})

    async def record(self, tx: AsyncConnection, account: AdAccount, events: Sequence[Contract]) -> None:
        """Ad-account events are a log beside the row: appended at the aggregate's next version."""
        versions = await self.store.load(tx, account.id)
        await record(tx, self.store, events, aggregate_id=account.id, expected_version=len(versions),
                     workspace_id=account.workspace_id)


class LoginRepository:
    def __init__(self, schema: str, keyring: Keyring) -> None:
        self.sql = Statements(schema)
        self.keyring = keyring

    @staticmethod
    def aad(login_id: UUID) -> bytes:
        return f"{login_id}|ad-account-login".encode()

    @staticmethod
    def _hash(state: str) -> str:
        return hashlib.sha256(state.encode()).hexdigest()

    async def start(self, tx: AsyncConnection, workspace_id: UUID, platform: AdPlatform, state: str, by: str) -> UUID:
        login_id = uuid.uuid4()
        await tx.execute(self.sql("""INSERT INTO {s}.ad_account_logins (id, workspace_id, platform, state_sha256,
            started_by, expires_at) VALUES (:id, :w, :p, :h, :by, :exp)"""),
            {"id": login_id, "w": workspace_id, "p": platform.value, "h": self._hash(state), "by": by,
             "exp": utc_now() + LOGIN_TTL})
        return login_id

    async def _one(self, tx: AsyncConnection, where: str, params: dict[str, object]) -> Login | None:
        row = (await tx.execute(self.sql(f"""SELECT id, workspace_id, platform, started_by, expires_at, token_sealed,
            token_expires_at FROM {{s}}.ad_account_logins WHERE {where} AND finished_at IS NULL AND expires_at > now()
            FOR UPDATE"""), params)).first()
        if row is None:
            return None
        token = _open_token(self.keyring, row[5], row[6], self.aad(row[0])) if row[5] else None
        return Login(row[0], row[1], AdPlatform(row[2]), row[3], row[4], token)

    async def by_state(self, tx: AsyncConnection, workspace_id: UUID, login_id: UUID, state: str) -> Login | None:
        return await self._one(tx, "id = :id AND workspace_id = :w AND state_sha256 = :h",
                               {"id": login_id, "w": workspace_id, "h": self._hash(state)})

    async def get(self, tx: AsyncConnection, workspace_id: UUID, login_id: UUID) -> Login | None:
        return await self._one(tx, "id = :id AND workspace_id = :w", {"id": login_id, "w": workspace_id})

    async def keep_token(self, tx: AsyncConnection, login_id: UUID, token: PlatformToken) -> None:
        await tx.execute(self.sql("""UPDATE {s}.ad_account_logins SET token_sealed = :sealed, token_expires_at = :exp
            WHERE id = :id"""), {"id": login_id, "sealed": _seal_token(self.keyring, token, self.aad(login_id)),
                                 "exp": token.expires_at})

    async def finish(self, tx: AsyncConnection, login_id: UUID) -> None:
        await tx.execute(self.sql("""UPDATE {s}.ad_account_logins SET finished_at = now(), token_sealed = NULL
            WHERE id = :id"""), {"id": login_id})
