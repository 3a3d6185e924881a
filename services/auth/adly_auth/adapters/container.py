"""Every adapter the auth service uses, built once per process by the runtime (`open_adapters`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_auth.adapters.api_keys import ApiKeys
from adly_auth.adapters.events import StoredEvents
from adly_auth.adapters.mail import MailDelivery, MailQueue
from adly_auth.adapters.oidc import OidcConfig, OidcProvider
from adly_auth.adapters.oidc_store import OidcIdentities, OidcStates
from adly_auth.adapters.passwords import Passwords
from adly_auth.adapters.sessions import Sessions
from adly_auth.adapters.signing import SigningKeys
from adly_auth.adapters.signup_tokens import SealedSignupTokens
from adly_auth.adapters.users import OneTimeTokens, RecoveryCodes, Users
from adly_auth.adapters.workspaces import Invitations, WorkspaceQueries, WorkspaceRepository
from adly_auth.domain.ports import IdentityProvider, PasswordHasher, SignupTokens
from adly_auth.handlers import ports
from adly_auth.projections.workspaces import WorkspaceProjection
from adly_auth.settings import AuthSettings
from adly_kit.crypto import Keyring
from adly_kit.db import unit_of_work
from adly_kit.service import Runtime


@dataclass
class Adapters:
    settings: AuthSettings
    engine: AsyncEngine
    keyring: Keyring
    events: ports.EventLog
    passwords: PasswordHasher
    signup_tokens: SignupTokens
    keys: ports.SigningKeyStore
    users: ports.UserStore
    links: ports.LinkStore
    recovery_codes: ports.RecoveryCodeStore
    sessions: ports.SessionStore
    mail: ports.MailOutbox
    workspaces: ports.WorkspaceStore
    invitations: ports.InvitationStore
    api_keys: ports.ApiKeyStore
    oidc_states: ports.OidcStateStore
    oidc_identities: ports.OidcIdentityStore
    # Only the edges use these two: routes query the read model, the mail runner sends the queue.
    workspace_queries: WorkspaceQueries
    mail_delivery: MailDelivery
    providers: dict[str, IdentityProvider] = field(default_factory=dict)

    def seconds(self, name: str) -> timedelta:
        """A duration setting by name: `seconds("access_token_ttl")` is `access_token_ttl_seconds`."""
        return timedelta(seconds=getattr(self.settings, f"{name}_seconds"))

    async def close(self) -> None:
        for provider in self.providers.values():
            await provider.close()


@asynccontextmanager
async def open_adapters(runtime: Runtime) -> AsyncIterator[Adapters]:
    """The Postgres repositories, the signing keys, the mail queue and the identity providers;
    a process that serves the API makes sure a signing key exists before its first request."""
    settings = runtime.settings
    assert isinstance(settings, AuthSettings), "the auth service runs with AuthSettings"
    schema = settings.schema
    keyring = Keyring.from_setting(settings.encryption_keys.get_secret_value())
    adapters = Adapters(
        settings=settings, engine=runtime.engine, keyring=keyring, events=StoredEvents(runtime.store),
        passwords=Passwords(), signup_tokens=SealedSignupTokens(keyring),
        keys=SigningKeys(schema, keyring, settings.issuer), users=Users(schema),
        links=OneTimeTokens(schema), recovery_codes=RecoveryCodes(schema), sessions=Sessions(schema),
        mail=MailQueue(schema, keyring), workspaces=WorkspaceRepository(runtime.store, WorkspaceProjection(schema)),
        invitations=Invitations(schema), api_keys=ApiKeys(schema), oidc_states=OidcStates(schema),
        oidc_identities=OidcIdentities(schema), providers=providers(settings),
        workspace_queries=WorkspaceQueries(schema), mail_delivery=MailDelivery(schema, keyring, settings),
    )
    try:
        if "api" in runtime.roles:
            await ensure_signing_key(adapters)
        yield adapters
    finally:
        await adapters.close()


async def ensure_signing_key(adapters: Adapters) -> None:
    """The JWKS has a key to publish and tokens one to be signed with from the first request on."""
    async with unit_of_work(adapters.engine) as tx:
        await adapters.keys.ensure_active(tx)


def providers(settings: AuthSettings) -> dict[str, IdentityProvider]:
    if not settings.google_configured:
        return {}
    assert settings.oidc_google_client_id and settings.oidc_google_client_secret and settings.oidc_google_redirect_uri
    config = OidcConfig(
        name="google", issuer=settings.oidc_google_issuer, client_id=settings.oidc_google_client_id,
        client_secret=settings.oidc_google_client_secret.get_secret_value(),
        redirect_uri=settings.oidc_google_redirect_uri, timeout=settings.oidc_http_timeout_seconds,
    )
    return {"google": OidcProvider(config)}
