"""Secrets at rest: AES-256-GCM envelope encryption (RELIABILITY S14).

Each value gets its own data key (DEK); the DEK is wrapped by a key-encryption key (KEK)
named by a key id. Associated data binds a ciphertext to its row, so a ciphertext copied
to another row does not decrypt. Rotation adds a new KEK and re-wraps DEKs; the values
themselves are not re-encrypted, and old KEKs keep decrypting until re-wrapping is done.
KEKs come from `ADLY_ENCRYPTION_KEYS` (`kid:base64key,kid2:base64key`, the first one is
used to wrap); production would hold them in a KMS behind the same interface.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12  # 96-bit random nonce, NIST SP 800-38D §8.2.2


class DecryptionFailed(Exception):
    """Wrong key, wrong row (associated data) or tampered ciphertext."""


@dataclass(frozen=True)
class Sealed:
    """What is stored: the wrapped data key, the ciphertext, and the KEK id that wraps it."""

    kek_id: str
    wrapped_key: bytes
    ciphertext: bytes

    def to_text(self) -> str:
        parts = (self.kek_id.encode(), self.wrapped_key, self.ciphertext)
        return ".".join(base64.urlsafe_b64encode(p).decode() for p in parts)

    @classmethod
    def from_text(cls, text: str) -> Sealed:
        kek_id, wrapped, ciphertext = (base64.urlsafe_b64decode(p) for p in text.split("."))
        return cls(kek_id.decode(), wrapped, ciphertext)


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except Exception as error:
        raise DecryptionFailed(str(error) or type(error).__name__) from None


class Keyring:
    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key {kid} is not 256 bits")
        self.keys = keys
        self.current = next(iter(keys))

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        pairs = (item.split(":", 1) for item in value.split(",") if item.strip())
        return cls({kid.strip(): base64.b64decode(key) for kid, key in pairs})

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> Sealed:
        data_key = AESGCM.generate_key(bit_length=256)
        wrapped = _seal(self.keys[self.current], data_key, aad + b"|" + self.current.encode())
        return Sealed(self.current, wrapped, _seal(data_key, plaintext, aad))

    def decrypt(self, sealed: Sealed, *, aad: bytes) -> bytes:
        if sealed.kek_id not in self.keys:
            raise DecryptionFailed(f"unknown key id {sealed.kek_id}")
        data_key = _open(self.keys[sealed.kek_id], sealed.wrapped_key, aad + b"|" + sealed.kek_id.encode())
        return _open(data_key, sealed.ciphertext, aad)

    def rewrap(self, sealed: Sealed, *, aad: bytes) -> Sealed:
        """The same ciphertext, its data key wrapped by the current KEK."""
        if sealed.kek_id == self.current:
            return sealed
        data_key = _open(self.keys[sealed.kek_id], sealed.wrapped_key, aad + b"|" + sealed.kek_id.encode())
        return Sealed(self.current, _seal(self.keys[self.current], data_key, aad + b"|" + self.current.encode()), sealed.ciphertext)
