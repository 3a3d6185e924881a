"""Ed25519 signing keys in `auth.signing_keys`, private halves sealed with the Keyring
(AAD = the key's row id, its kid), and the JWTs signed with them (docs/identity.md).

One key is active; `rotate` makes a new one active and gives the previous one a
`retire_at` of now + overlap, so tokens it signed keep verifying (and it stays in the
JWKS) until they have all expired.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.handlers.ports import InvalidToken
from adly_kit.crypto import Keyring, Sealed
from adly_kit.sql import Statements, utc_now

ALGORITHM = "EdDSA"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SigningKeys:
    def __init__(self, schema: str, keyring: Keyring, issuer: str) -> None:
        self.sql = Statements(schema)
        self.keyring = keyring
        self.issuer = issuer
        self._private: dict[str, Ed25519PrivateKey] = {}

    async def ensure_active(self, tx: AsyncConnection) -> None:
        """Create the first key if there is none (one process does it; the others wait)."""
        await tx.execute(self.sql("SELECT pg_advisory_xact_lock(hashtext('{s}.signing_keys'))"))
        if not (await tx.execute(self.sql("SELECT 1 FROM {s}.signing_keys WHERE retire_at IS NULL"))).first():
            await self._create(tx)

    async def rotate(self, tx: AsyncConnection, overlap: timedelta) -> str:
        await tx.execute(self.sql("SELECT pg_advisory_xact_lock(hashtext('{s}.signing_keys'))"))
        await tx.execute(
            self.sql("UPDATE {s}.signing_keys SET retire_at = :at WHERE retire_at IS NULL"), {"at": utc_now() + overlap}
        )
        return await self._create(tx)

    async def published(self, tx: AsyncConnection) -> list[dict]:
        rows = await tx.execute(
            self.sql("""SELECT public_jwk::text FROM {s}.signing_keys
                        WHERE retire_at IS NULL OR retire_at > now() ORDER BY created_at DESC""")
        )
        return [json.loads(jwk) for (jwk,) in rows]

    async def sign(self, tx: AsyncConnection, claims: dict[str, Any], *, typ: str, audience: str, ttl: timedelta) -> str:
        kid, key = await self._active(tx)
        now = utc_now()
        body = {"iss": self.issuer, "aud": audience, "iat": now, "nbf": now, "exp": now + ttl, "jti": str(uuid.uuid4())}
        return jwt.encode(body | claims, key, algorithm=ALGORITHM, headers={"kid": kid, "typ": typ})

    async def verify(self, tx: AsyncConnection, token: str, *, typ: str, audience: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM or header.get("typ") != typ:
                raise InvalidToken("unexpected token type")
            jwks = {jwk["kid"]: jwk for jwk in await self.published(tx)}
            jwk = jwks.get(str(header.get("kid")))
            if jwk is None:
                raise InvalidToken("unknown or retired key")
            return jwt.decode(
                token, jwt.PyJWK(jwk).key, algorithms=[ALGORITHM], audience=audience, issuer=self.issuer,
                options={"require": ["exp", "iat", "nbf", "sub", "jti"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(type(error).__name__) from None

    async def _active(self, tx: AsyncConnection) -> tuple[str, Ed25519PrivateKey]:
        row = (await tx.execute(
            self.sql("SELECT kid, private_key_sealed FROM {s}.signing_keys WHERE retire_at IS NULL")
        )).first()
        if row is None:
            await self.ensure_active(tx)
            return await self._active(tx)
        kid, sealed = row
        if kid not in self._private:
            raw = self.keyring.decrypt(Sealed.from_text(sealed), aad=kid.encode())
            self._private[kid] = Ed25519PrivateKey.from_private_bytes(raw)
        return kid, self._private[kid]

    async def _create(self, tx: AsyncConnection) -> str:
        kid = secrets.token_urlsafe(12)
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(public), "kid": kid, "use": "sig", "alg": ALGORITHM}
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        sealed = self.keyring.encrypt(raw, aad=kid.encode()).to_text()
        await tx.execute(
            self.sql("INSERT INTO {s}.signing_keys (kid, public_jwk, private_key_sealed) VALUES (:kid, CAST(:jwk AS jsonb), :sealed)"),
            {"kid": kid, "jwk": json.dumps(jwk), "sealed": sealed},
        )
        return kid

