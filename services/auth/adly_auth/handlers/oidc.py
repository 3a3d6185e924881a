"""Sign-in with an external OpenID Connect provider: state, nonce and PKCE kept server-side."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.adapters.container import Adapters
from adly_auth.domain.credentials import normalise_email
from adly_auth.domain.errors import InvalidCredentials
from adly_auth.domain.ports import IdentityProvider, OidcError
from adly_auth.handlers.accounts import register_external
from adly_auth.handlers.outcomes import Tokens, TwoFactorChallenge
from adly_auth.handlers.sessions import start_session
from adly_auth.handlers.two_factor import challenge
from adly_auth.handlers.user_events import known_user
from adly_kit.errors import Conflict, DomainError, InvalidInput, NotFound

STATE_TTL = timedelta(minutes=10)


def _provider(a: Adapters, name: str) -> IdentityProvider:
    if name not in a.providers:
        raise NotFound("No such identity provider.")
    return a.providers[name]


async def start(tx: AsyncConnection, a: Adapters, provider: str) -> tuple[str, str]:
    """(authorization URL, state) for the browser."""
    client = _provider(a, provider)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    await a.oidc_states.save(tx, provider, state, nonce, verifier, STATE_TTL)
    return await client.authorization_url(state, nonce, verifier), state


async def callback(tx: AsyncConnection, a: Adapters, provider: str, code: str, state: str
                   ) -> Tokens | TwoFactorChallenge | DomainError:
    """Tokens for the provider's user; a refused id_token is returned (not raised) so the
    state stays spent."""
    client = _provider(a, provider)
    saved = await a.oidc_states.take(tx, provider, state)
    if saved is None:
        raise InvalidInput("The sign-in state is invalid, used or expired; start again.", field="state")
    nonce, verifier = saved
    try:
        claims = await client.verify(await client.exchange(code, verifier), nonce)
    except OidcError as error:
        return InvalidCredentials(f"The identity provider's answer was not accepted ({error}).")
    user_id = await a.oidc_identities.user_of(tx, provider, claims["sub"])
    if user_id is None:
        linked = await _link_or_register(tx, a, provider, claims)
        if isinstance(linked, DomainError):
            return linked
        user_id = linked
    user = await known_user(tx, a, user_id)
    if user.two_factor_enabled:
        return TwoFactorChallenge(await challenge(tx, a, user_id))
    return await start_session(tx, a, user_id)


async def _link_or_register(tx: AsyncConnection, a: Adapters, provider: str, claims: dict[str, Any]
                            ) -> UUID | DomainError:
    """The account of the provider's verified address, linked to this provider account; a new
    account if none has the address."""
    if not isinstance(claims.get("email"), str):
        return InvalidCredentials("The identity provider did not share an email address.")
    if claims.get("email_verified") is not True:
        # Linking on an unverified address would hand over someone's account, and registering
        # one would let whoever holds the provider account claim an address before its owner.
        # Refused alike whether or not an account has the address, so the answer does not say.
        return InvalidCredentials("The identity provider has not verified this email address; verify it there, "
                                  "or sign up with a password.")
    email = normalise_email(claims["email"])
    existing = await a.users.by_email(tx, email)
    if existing is not None:
        user_id = existing.id
    else:
        registered = await register_external(tx, a, email, provider)
        if registered is None:
            raise Conflict("An account with this email was created meanwhile; try again.")
        user_id = registered
    await a.oidc_identities.link(tx, provider, claims["sub"], user_id)
    return user_id
