"""Store credentials at rest: AES-256-GCM envelope encryption (adly_kit.crypto, RELIABILITY S14).

The associated data binds a ciphertext to its workspace and store row, so a ciphertext
copied to another row does not open. Rotation (`adly-catalog rewrap-credentials`) wraps
every data key under the current key-encryption key while the old one still decrypts:
no downtime, and the credentials themselves are never re-encrypted.
"""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.domain.platform import Credentials
from adly_kit.crypto import Keyring, Sealed
from adly_kit.sql import Statements


def _aad(workspace_id: UUID, store_id: UUID) -> bytes:
    return f"{workspace_id}|{store_id}|store-credentials".encode()


def _to_json(credentials: Credentials) -> bytes:
    return json.dumps({
        "access_token": credentials.access_token,
        "refresh_token": credentials.refresh_token,
        "expires_at": credentials.expires_at.isoformat() if credentials.expires_at else None,
        "refresh_expires_at": credentials.refresh_expires_at.isoformat() if credentials.refresh_expires_at else None,
        "scope": credentials.scope,
        "extra": dict(credentials.extra),
    }).encode()


def _from_json(raw: bytes) -> Credentials:
    data = json.loads(raw)
    when = lambda v: datetime.fromisoformat(v) if v else None  # noqa: E731
    return Credentials(data["access_token"], data["refresh_token"], when(data["expires_at"]),
                       when(data["refresh_expires_at"]), data["scope"], data["extra"])


class CredentialVault:
    def __init__(self, schema: str, keyring: Keyring) -> None:
        self.sql = Statements(schema)
        self.keyring = keyring

    @property
    def current_key(self) -> str:
        """The key-encryption key new seals are wrapped with."""
        return self.keyring.current

    async def save(self, tx: AsyncConnection, workspace_id: UUID, store_id: UUID, credentials: Credentials) -> None:
        sealed = self.keyring.encrypt(_to_json(credentials), aad=_aad(workspace_id, store_id))
        await tx.execute(self.sql("""
            INSERT INTO {s}.store_credentials (store_id, sealed, kek_id) VALUES (:id, :sealed, :kek)
            ON CONFLICT (store_id) DO UPDATE SET sealed = excluded.sealed, kek_id = excluded.kek_id, updated_at = now()"""),
            {"id": store_id, "sealed": sealed.to_text(), "kek": sealed.kek_id})

    async def load(self, conn: AsyncConnection, workspace_id: UUID, store_id: UUID, *, for_update: bool = False) -> Credentials | None:
        """`for_update` holds the row until the transaction ends: the per-store lock under
        which a single-use refresh token (Salla) is spent and its successor saved."""
        lock = " FOR UPDATE" if for_update else ""
        row = (await conn.execute(self.sql("SELECT sealed FROM {s}.store_credentials WHERE store_id = :id" + lock),
                                  {"id": store_id})).first()
        if row is None:
            return None
        return _from_json(self.keyring.decrypt(Sealed.from_text(row[0]), aad=_aad(workspace_id, store_id)))

    async def rewrap_all(self, tx: AsyncConnection) -> int:
        """Wrap every data key still under an older KEK with the current one; returns how many."""
        rows = await tx.execute(self.sql("""
            SELECT c.store_id, s.workspace_id, c.sealed FROM {s}.store_credentials c JOIN {s}.stores s ON s.id = c.store_id
            WHERE c.kek_id <> :current FOR UPDATE OF c"""), {"current": self.keyring.current})
        count = 0
        for store_id, workspace_id, sealed in rows.all():
            fresh = self.keyring.rewrap(Sealed.from_text(sealed), aad=_aad(workspace_id, store_id))
            await tx.execute(self.sql("UPDATE {s}.store_credentials SET sealed = :sealed, kek_id = :kek WHERE store_id = :id"),
                             {"id": store_id, "sealed": fresh.to_text(), "kek": fresh.kek_id})
            count += 1
        return count
