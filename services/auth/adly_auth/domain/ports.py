"""Ports that carry no transaction: the password hasher, sign-up links and an OpenID Connect provider."""

from __future__ import annotations

from typing import Any, Protocol

from adly_auth.domain.records import PendingSignup


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True if it matches. With no stored hash the same work is done, so an unknown
        email takes as long to refuse as a known one."""
        ...

    def needs_rehash(self, stored_hash: str) -> bool: ...


class SignupTokens(Protocol):
    """The token of a sign-up link carries the sign-up itself, sealed (authenticated
    encryption), so a sign-up writes nothing but its mail until the link is followed."""

    def seal(self, pending: PendingSignup) -> str:
        """URL-safe text: letters, digits, `-`, `_` and `.`."""
        ...

    def open(self, token: str) -> PendingSignup | None:
        """The sign-up a token of ours carries (expired or not); None for anything else."""
        ...


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
