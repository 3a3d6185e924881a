"""Every adapter the auth handlers use, built once per running process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_auth.adapters.api_keys import ApiKeys
from adly_auth.adapters.mail import MailQueue
from adly_auth.adapters.oidc import OidcConfig, OidcProvider
from adly_auth.adapters.oidc_store import OidcIdentities, OidcStates
from adly_auth.adapters.passwords import Passwords
from adly_auth.adapters.sessions import Sessions
from adly_auth.adapters.signing import SigningKeys
from adly_auth.adapters.users import OneTimeTokens, RecoveryCodes, Users
from adly_auth.adapters.workspaces import Invitations, WorkspaceQueries, WorkspaceRepository
from adly_auth.projections.workspaces import WorkspaceProjection
from adly_auth.settings import AuthSettings
from adly_kit.crypto import Keyring
from adly_kit.eventstore import EventStore
from adly_kit.service import Runtime


@dataclass
class Adapters:
    settings: AuthSettings
    engine: AsyncEngine
    store: EventStore
    keyring: Keyring
    passwords: Passwords
    keys: SigningKeys
    users: Users
    links: OneTimeTokens
    recovery_codes: RecoveryCodes
    sessions: Sessions
    mail: MailQueue
    workspaces: WorkspaceRepository
    workspace_queries: WorkspaceQueries
    invitations: Invitations
    api_keys: ApiKeys
    oidc_states: OidcStates
    oidc_identities: OidcIdentities
    providers: dict[str, OidcProvider] = field(default_factory=dict)

    def seconds(self, name: str) -> timedelta:
        return timedelta(seconds=getattr(self.settings, f"{name}_seconds"))

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> Adapters:
        settings = runtime.settings
        assert isinstance(settings, AuthSettings), "the auth service runs with AuthSettings"
        schema = settings.schema
        keyring = Keyring.from_setting(settings.encryption_keys.get_secret_value())
        return cls(
            settings=settings, engine=runtime.engine, store=runtime.store, keyring=keyring, passwords=Passwords(),
            keys=SigningKeys(schema, keyring, settings.issuer), users=Users(schema), links=OneTimeTokens(schema),
            recovery_codes=RecoveryCodes(schema), sessions=Sessions(schema), mail=MailQueue(schema, keyring),
            workspaces=WorkspaceRepository(runtime.store, WorkspaceProjection(schema)),
            workspace_queries=WorkspaceQueries(schema), invitations=Invitations(schema), api_keys=ApiKeys(schema),
            oidc_states=OidcStates(schema), oidc_identities=OidcIdentities(schema), providers=providers(settings),
        )


def providers(settings: AuthSettings) -> dict[str, OidcProvider]:
    if not settings.google_configured:
        return {}
    config = OidcConfig(
        name="google", issuer=settings.oidc_google_issuer, client_id=settings.oidc_google_client_id,
        client_secret=settings.oidc_google_client_secret.get_secret_value(),
        redirect_uri=settings.oidc_google_redirect_uri, timeout=settings.oidc_http_timeout_seconds,
    )
    return {"google": OidcProvider(config)}
