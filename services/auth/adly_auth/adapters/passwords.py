"""Password hashing with Argon2id at (at least) the OWASP parameters, off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1 is the minimum for Argon2id.
OWASP = {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}


class Passwords:
    def __init__(self, memory_cost: int = OWASP["memory_cost"], time_cost: int = OWASP["time_cost"], parallelism: int = 1):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, hash_len=32, salt_len=16, type=Type.ID
        )
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True if it matches. With no stored hash, the same work is done against a dummy
        so an unknown email takes as long as a known one."""
        if stored_hash is None:
            await self.verify(await self._dummy_hash(), password)
            return False
        try:
            return await asyncio.to_thread(self._hasher.verify, stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self.hash("not a password anyone has: dummy for timing")
        return self._dummy
