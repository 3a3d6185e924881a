"""Request and response bodies of the auth API. Requests forbid unknown fields; responses
never carry hashes, and secrets only where they are shown once."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adly_auth.domain.locale import DEFAULT_TIME_ZONE, Language
from adly_events.contracts.auth import WorkspaceRole

# On every answer that carries a token or a secret (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Credentials(Request):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class Signup(Credentials):
    language: Language | None = Field(default=None, description="Of the account's mail; without it, the "
                                      "Accept-Language header's first choice (Arabic or else English).")
    time_zone: str = Field(default=DEFAULT_TIME_ZONE, max_length=64, description="IANA name, e.g. Asia/Riyadh.")


class TwoFactorLogin(Request):
    challenge_token: str = Field(max_length=4096)
    code: str | None = Field(default=None, max_length=10)
    recovery_code: str | None = Field(default=None, max_length=40)


class Code(Request):
    code: str = Field(max_length=10)


class CodeOrRecoveryCode(Request):
    code: str | None = Field(default=None, max_length=10)
    recovery_code: str | None = Field(default=None, max_length=40)


class LinkToken(Request):
    token: str = Field(max_length=200)


class Email(Request):
    email: str = Field(max_length=320)


class SignupLink(Request):
    token: str = Field(max_length=2048)


class SignupAccepted(BaseModel):
    """The answer to every well-formed sign-up, whether or not the address has an account."""

    status: Literal["accepted"] = "accepted"
    detail: str = "Check your email to continue: a link finishes the sign-up."


class NewPassword(Request):
    token: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str | None = None


class TwoFactorRequired(BaseModel):
    two_factor_required: bool = True
    challenge_token: str


class OAuthErrorBody(BaseModel):
    error: str
    error_description: str


class Me(BaseModel):
    id: UUID
    email: str
    email_verified: bool
    two_factor_enabled: bool
    created_at: datetime
    language: Language
    time_zone: str = Field(description="IANA name, e.g. Asia/Riyadh.")


class MeChange(Request):
    """Only what is given (and not null) changes."""

    language: Language | None = None
    time_zone: str | None = Field(default=None, max_length=64, description="IANA name, e.g. Asia/Riyadh.")


class ContactsQuery(Request):
    user_ids: list[UUID] = Field(max_length=500)


class Contact(BaseModel):
    user_id: UUID
    email: str
    email_verified: bool
    language: Language
    time_zone: str


class Contacts(BaseModel):
    """Only the asked-for users who are members of the workspace; the others are left out."""

    contacts: list[Contact]


class Enrolment(BaseModel):
    otpauth_uri: str
    secret: str
    recovery_codes: list[str] = Field(description="Shown once; each works once.")


class TwoFactorProof(BaseModel):
    two_factor_token: str = Field(description="Send as `X-2FA-Token` with sensitive operations.")
    expires_in: int


class JsonWebKeySet(BaseModel):
    keys: list[dict]


class NewWorkspace(Request):
    name: str = Field(min_length=1, max_length=100)


class WorkspaceChange(Request):
    name: str = Field(min_length=1, max_length=100)


class WorkspaceOut(BaseModel):
    id: UUID
    name: str
    role: WorkspaceRole
    created_at: datetime


class MemberOut(BaseModel):
    user_id: UUID
    email: str
    role: WorkspaceRole
    joined_at: datetime


class RoleChange(Request):
    role: WorkspaceRole


class OwnershipTransfer(Request):
    user_id: UUID


class NewInvitation(Request):
    email: str = Field(max_length=320)
    role: WorkspaceRole


class InvitationOut(BaseModel):
    id: UUID
    workspace_id: UUID
    email: str
    role: WorkspaceRole
    expires_at: datetime


class Accepted(BaseModel):
    workspace_id: UUID


class NewApiKey(Request):
    name: str = Field(min_length=1, max_length=100)
    role: WorkspaceRole


class ApiKeyOut(BaseModel):
    id: UUID
    workspace_id: UUID
    name: str
    role: WorkspaceRole
    created_by: UUID
    created_at: datetime
    revoked_at: datetime | None


class CreatedApiKey(ApiKeyOut):
    secret: str = Field(description="The key itself, shown once: `adly_sk_…`. Also the client_secret; client_id is `id`.")
