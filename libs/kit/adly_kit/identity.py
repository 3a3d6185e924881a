"""The identity the gateway vouches for, and how a service checks it (docs/identity.md).

The gateway signs `X-Adly-Identity` with a key only it and the services hold; a request
that reaches a service without a valid one is refused, so nothing trusts a caller blindly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict

from adly_kit.errors import NotAllowed
from adly_kit.permissions import Role, allows, needs_two_factor

HEADER = "X-Adly-Identity"
LIFETIME_SECONDS = 30


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sub: str
    kind: Literal["user", "api_key", "service"]  # "service": another ADLY service, `sub` = `service:<name>`
    ws: UUID | None = None
    role: Role | None = None
    sid: str | None = None
    mfa: bool = False
    rid: str | None = None
    exp: int

    @property
    def user_id(self) -> UUID | None:
        return UUID(self.sub) if self.kind == "user" else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def sign(identity_without_exp: dict, key: bytes) -> str:
    claims = identity_without_exp | {"exp": int(time.time()) + LIFETIME_SECONDS}
    body = _b64(json.dumps(Identity.model_validate(claims).model_dump(mode="json"), separators=(",", ":")).encode())
    return f"{body}.{_mac(key, body)}"


def service_identity(service: str, workspace_id: UUID, key: bytes) -> str:
    """The header one service sends another when it acts for a workspace on its own (a
    publisher fetching a creative's bytes): no person, no role, one workspace."""
    return sign({"sub": f"service:{service}", "kind": "service", "ws": str(workspace_id)}, key)


def verify(header: str | None, key: bytes) -> Identity | None:
    """The identity in a header value, or None if it is missing, forged or expired."""
    if not header or header.count(".") != 1:
        return None
    body, mac = header.split(".")
    if not hmac.compare_digest(mac, _mac(key, body)):
        return None
    try:
        identity = Identity.model_validate_json(_unb64(body))
    except ValueError:
        return None
    return identity if identity.exp >= time.time() else None


def _identity_key(request: Request) -> bytes:
    return request.app.state.runtime.settings.internal_identity_key.get_secret_value().encode()


async def require_identity(request: Request) -> Identity:
    identity = verify(request.headers.get(HEADER), _identity_key(request))
    if identity is None:
        raise HTTPException(status_code=401, detail="Requests reach services through the gateway only.")
    return identity


async def optional_identity(request: Request) -> Identity | None:
    return verify(request.headers.get(HEADER), _identity_key(request))


CurrentIdentity = Annotated[Identity, Depends(require_identity)]
MaybeIdentity = Annotated[Identity | None, Depends(optional_identity)]


def workspace_permission(*names: str):
    """An `Annotated` dependency: the caller the gateway vouches for, as a member of the
    path's `{workspace_id}` holding every permission in `names` (docs/identity.md). The
    gateway has checked already; a service checks again so a bypassed or misrouted request
    fails closed. Outsiders get 404, as if the workspace did not exist."""

    async def check(workspace_id: UUID, identity: CurrentIdentity) -> Identity:
        if identity.ws != workspace_id or identity.role is None:
            raise HTTPException(status_code=404, detail="No such workspace.")
        for name in names:
            if not allows(identity.role, name):
                raise HTTPException(status_code=403, detail="Your role does not allow this.")
            if needs_two_factor(name) and not identity.mfa:
                # The gateway's own refusal (403 two-factor-required), should a request reach us without it.
                raise NotAllowed("This needs a fresh two-factor proof (X-2FA-Token).", code="two-factor-required")
        return identity

    return Annotated[Identity, Depends(check)]
