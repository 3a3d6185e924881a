"""Sign-up links whose token is the sign-up itself: address, password hash, expiry, language and time zone,
sealed with the service's Keyring (AES-256-GCM, `adly_kit.crypto`).

Why not a row: a sign-up then writes exactly what a sign-up for an address that has an
account writes (one queued mail), so neither the answer nor the work it takes tells the two
apart (docs/identity.md, "Sign-up"). The token cannot be read or forged without the key; it
works once because following it creates the account, and an address has one account at most.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from adly_auth.domain.locale import DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE
from adly_auth.domain.records import PendingSignup
from adly_kit.crypto import DecryptionFailed, Keyring, Sealed

# Binds a token to this use: no other value sealed with the same keys opens as a sign-up.
AAD = b"adly-auth:signup-link:v1"


class SealedSignupTokens:
    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def seal(self, pending: PendingSignup) -> str:
        plain = {"email": pending.email, "hash": pending.password_hash, "exp": int(pending.expires_at.timestamp()),
                 "lang": pending.language, "tz": pending.time_zone}
        sealed = self.keyring.encrypt(json.dumps(plain, separators=(",", ":")).encode(), aad=AAD)
        return ".".join(_b64(part) for part in (sealed.kek_id.encode(), sealed.wrapped_key, sealed.ciphertext))

    def open(self, token: str) -> PendingSignup | None:
        try:
            kek_id, wrapped, ciphertext = (_unb64(part) for part in token.split("."))
            plain = json.loads(self.keyring.decrypt(Sealed(kek_id.decode(), wrapped, ciphertext), aad=AAD))
            expires_at = datetime.fromtimestamp(plain["exp"], UTC)
            # Links mailed before language and time zone travelled in them open with the defaults.
            return PendingSignup(plain["email"], plain["hash"], expires_at, plain.get("lang", DEFAULT_LANGUAGE),
                                 plain.get("tz", DEFAULT_TIME_ZONE))
        except (ValueError, KeyError, TypeError, OverflowError, binascii.Error, DecryptionFailed):
            return None


def _b64(data: bytes) -> str:
    """Unpadded, so the token needs no escaping in a URL."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
