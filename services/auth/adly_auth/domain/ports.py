"""Ports that carry no transaction: the password hasher and an OpenID Connect provider."""

from __future__ import annotations

from typing import Any, Protocol


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True if it matches. With no stored hash the same work is done, so an unknown
        email takes as long to refuse as a known one."""
        ...

    def needs_rehash(self, stored_hash: str) -> bool: ...


class OidcError(Exception):
    """The provider's answer or its id_token failed a check."""


class IdentityProvider(Protocol):
    """An OpenID Connect provider (authorization code + PKCE); raises `OidcError`."""

    async def authorization_url(self, state: str, nonce: str, verifier: str) -> str: ...

    async def exchange(self, code: str, verifier: str) -> str:
        """The id_token the provider's token endpoint returns for this code."""
        ...

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The id_token's claims, once its signature, issuer, audience and nonce check out."""
        ...

    async def close(self) -> None: ...
