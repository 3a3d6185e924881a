"""Public and signed-in routes under /v1/auth, the OAuth token endpoint and the JWKS."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal, TypeVar
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

from adly_auth.adapters.container import Adapters
from adly_auth.domain.errors import InvalidCredentials
from adly_auth.domain.locale import language_of
from adly_auth.domain.records import User
from adly_auth.entrypoints.deps import AdaptersDep, CurrentUser
from adly_auth.entrypoints.schemas import (
    NO_STORE,
    Code,
    CodeOrRecoveryCode,
    Credentials,
    Email,
    Enrolment,
    JsonWebKeySet,
    LinkToken,
    Me,
    MeChange,
    NewPassword,
    OAuthErrorBody,
    Signup,
    SignupAccepted,
    SignupLink,
    TokenResponse,
    TwoFactorLogin,
    TwoFactorProof,
    TwoFactorRequired,
)
from adly_auth.handlers import accounts, oidc, profile, sessions, two_factor
from adly_auth.handlers.outcomes import OAuthError, Tokens, TwoFactorChallenge
from adly_auth.handlers.user_events import known_user
from adly_kit.db import unit_of_work
from adly_kit.errors import DomainError

router = APIRouter(prefix="/v1/auth", tags=["auth"])
jwks_router = APIRouter(tags=["auth"])
OIDC_COOKIE = "adly_oidc_state"
T = TypeVar("T")


def tokens_response(outcome: Tokens | TwoFactorChallenge, status: int = 200) -> JSONResponse:
    if isinstance(outcome, TwoFactorChallenge):
        body = TwoFactorRequired(challenge_token=outcome.challenge_token)
    else:
        body = TokenResponse(access_token=outcome.access_token, expires_in=outcome.expires_in,
                             refresh_token=outcome.refresh_token)
    return JSONResponse(body.model_dump(exclude_none=True), status, headers=NO_STORE)


def refused(outcome: T | DomainError) -> T:
    """Raise a failure that its handler returned so that its effect could commit first."""
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def oauth_error(error: OAuthError) -> JSONResponse:
    """RFC 6749 §5.2: the token endpoint answers its own JSON errors, not problem+json."""
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="adly", charset="UTF-8"'
    return JSONResponse({"error": error.error, "error_description": error.description}, error.status, headers=headers)


@router.post("/signup", status_code=202)
async def signup(body: Signup, a: AdaptersDep, accept_language: Annotated[str | None, Header()] = None
                 ) -> SignupAccepted:
    """Start a sign-up with email and password: a link that finishes it is mailed. The answer
    is the same whether or not the address has an account; if it has, its owner is mailed instead."""
    language = body.language or language_of(accept_language)
    async with unit_of_work(a.engine) as tx:
        await accounts.signup(tx, a, body.email, body.password, language, body.time_zone)
    return SignupAccepted()


@router.post("/signup/confirm", status_code=201, response_model=TokenResponse)
async def confirm_signup(body: SignupLink, a: AdaptersDep):
    """Finish a sign-up with the mailed link's token: the account is created, its address
    verified, and a session starts. The link works once."""
    async with unit_of_work(a.engine) as tx:
        outcome = await accounts.confirm_signup(tx, a, body.token)
    return tokens_response(outcome, 201)


@router.post("/login", response_model=TokenResponse | TwoFactorRequired)
async def login(body: Credentials, a: AdaptersDep):
    """Sign in; with two-factor on, answers a challenge for POST /v1/auth/login/2fa."""
    async with unit_of_work(a.engine) as tx:
        outcome = await accounts.login(tx, a, body.email, body.password)
    return tokens_response(outcome)


@router.post("/login/2fa", response_model=TokenResponse)
async def login_two_factor(body: TwoFactorLogin, a: AdaptersDep):
    """Finish a sign-in with a TOTP code or a recovery code."""
    async with unit_of_work(a.engine) as tx:
        outcome = await two_factor.complete_login(tx, a, body.challenge_token, body.code, body.recovery_code)
    return tokens_response(refused(outcome))


@router.post("/email/verify", status_code=204)
async def verify_email(body: LinkToken, a: AdaptersDep) -> Response:
    """Confirm the email address with the mailed link's token."""
    async with unit_of_work(a.engine) as tx:
        await accounts.verify_email(tx, a, body.token)
    return Response(status_code=204)


class Accepted(BaseModel):
    """The request is taken; its effect (a mail) follows."""

    status: Literal["accepted"] = "accepted"


@router.post("/email/verify/resend", status_code=202)
async def resend_verification(user: CurrentUser, a: AdaptersDep) -> Accepted:
    async with unit_of_work(a.engine) as tx:
        await accounts.resend_verification(tx, a, user.user_id)
    return Accepted()


@router.post("/password/forgot", status_code=202)
async def forgot_password(body: Email, a: AdaptersDep) -> Accepted:
    """Mail a reset link to the account's address, or a note that it has no account; the answer does not say which."""
    async with unit_of_work(a.engine) as tx:
        await accounts.forgot_password(tx, a, body.email)
    return Accepted()


@router.post("/password/reset", status_code=204)
async def reset_password(body: NewPassword, a: AdaptersDep) -> Response:
    """Set a new password with the mailed link's token; every session ends."""
    async with unit_of_work(a.engine) as tx:
        await accounts.reset_password(tx, a, body.token, body.password)
    return Response(status_code=204)


@router.post(
    "/oauth/token", response_model=TokenResponse,
    responses={400: {"model": OAuthErrorBody}, 401: {"model": OAuthErrorBody}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["grant_type"], "properties": {
            "grant_type": {"type": "string", "enum": ["refresh_token", "client_credentials"]},
            "refresh_token": {"type": "string"}, "client_id": {"type": "string"},
            "client_secret": {"type": "string"}, "scope": {"type": "string"}}}}}}},
)
async def token(request: Request, a: AdaptersDep):
    """OAuth 2.0 token endpoint (RFC 6749): `refresh_token` and `client_credentials` grants."""
    try:
        form = await _form(request)
        grant = form.get("grant_type")
        if grant == "refresh_token":
            outcome = await _refresh(a, form)
        elif grant == "client_credentials":
            outcome = await _client_credentials(a, request, form)
        elif grant is None:
            raise OAuthError("invalid_request", "grant_type is missing.")
        else:
            raise OAuthError("unsupported_grant_type", "Supported: refresh_token, client_credentials.")
    except OAuthError as error:
        return oauth_error(error)
    # A refused grant is returned by its handler, so that its effect (a token family
    # revoked on reuse) commits before the refusal is answered.
    return oauth_error(outcome) if isinstance(outcome, OAuthError) else tokens_response(outcome)


async def _refresh(a: Adapters, form: dict[str, str]) -> Tokens | OAuthError:
    if not form.get("refresh_token"):
        raise OAuthError("invalid_request", "refresh_token is missing.")
    async with unit_of_work(a.engine) as tx:
        return await sessions.refresh(tx, a, form["refresh_token"])


async def _client_credentials(a: Adapters, request: Request, form: dict[str, str]) -> Tokens | OAuthError:
    client_id, secret = _client_auth(request, form)
    async with unit_of_work(a.engine) as tx:
        return await sessions.client_credentials(tx, a, client_id, secret)


async def _form(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "Send application/x-www-form-urlencoded.")
    body = await request.body()
    if len(body) > 16_384:
        raise OAuthError("invalid_request", "The request is too large.")
    try:
        parsed = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "The body is not UTF-8.") from None
    if any(len(values) > 1 for values in parsed.values()):  # RFC 6749 §3.2: no repeated parameters
        raise OAuthError("invalid_request", "A parameter is repeated.")
    return {key: values[0] for key, values in parsed.items()}


def _client_auth(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        if "client_secret" in form:
            raise OAuthError("invalid_request", "Use one client authentication method.")
        try:
            client_id, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "Client authentication failed.", 401) from None
        return unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 §2.3.1 form-encodes both
    if form.get("client_id") and form.get("client_secret"):
        return form["client_id"], form["client_secret"]
    raise OAuthError("invalid_client", "Client authentication failed.", 401)


@router.post("/logout", status_code=204)
async def logout(user: CurrentUser, a: AdaptersDep) -> Response:
    """End this session: its refresh tokens stop working, its access tokens are refused."""
    async with unit_of_work(a.engine) as tx:
        await sessions.logout(tx, a, user.sid)
    return Response(status_code=204)


@router.post("/logout-everywhere", status_code=204)
async def logout_everywhere(user: CurrentUser, a: AdaptersDep) -> Response:
    async with unit_of_work(a.engine) as tx:
        await sessions.logout_everywhere(tx, a, user.user_id)
    return Response(status_code=204)


@router.get("/me", response_model=Me)
async def me(user: CurrentUser, a: AdaptersDep) -> Me:
    async with a.engine.connect() as conn:
        found = await known_user(conn, a, user.user_id)
    return me_of(found)


@router.patch("/me", response_model=Me)
async def change_me(body: MeChange, user: CurrentUser, a: AdaptersDep) -> Me:
    """Change the language of your mail or your time zone (the daily digest follows it)."""
    async with unit_of_work(a.engine) as tx:
        changed = await profile.change_locale(tx, a, user.user_id, body.language, body.time_zone)
    return me_of(changed)


def me_of(user: User) -> Me:
    return Me(id=user.id, email=user.email, email_verified=user.email_verified_at is not None,
              two_factor_enabled=user.two_factor_enabled, created_at=user.created_at, language=user.language,
              time_zone=user.time_zone)


@router.post("/2fa/enroll", status_code=201, response_model=Enrolment)
async def enroll(user: CurrentUser, a: AdaptersDep):
    """Start TOTP enrolment: the otpauth URI and ten recovery codes, shown once."""
    async with unit_of_work(a.engine) as tx:
        enrolment = await two_factor.enroll(tx, a, user.user_id)
    body = Enrolment(otpauth_uri=enrolment.otpauth_uri, secret=enrolment.secret, recovery_codes=enrolment.recovery_codes)
    return JSONResponse(body.model_dump(), 201, headers=NO_STORE)


@router.post("/2fa/confirm", status_code=204)
async def confirm(body: Code, user: CurrentUser, a: AdaptersDep) -> Response:
    """Turn two-factor on with a first code from the authenticator."""
    async with unit_of_work(a.engine) as tx:
        outcome = await two_factor.confirm(tx, a, user.user_id, body.code)
    refused(outcome)
    return Response(status_code=204)


@router.post("/2fa/verify", response_model=TwoFactorProof)
async def verify(body: CodeOrRecoveryCode, user: CurrentUser, a: AdaptersDep):
    """A 2FA proof token (5 minutes) for the `X-2FA-Token` header of sensitive operations."""
    async with unit_of_work(a.engine) as tx:
        outcome = await two_factor.proof(tx, a, user.user_id, body.code, body.recovery_code)
    token, ttl = refused(outcome)
    return JSONResponse(TwoFactorProof(two_factor_token=token, expires_in=ttl).model_dump(), headers=NO_STORE)


@router.get("/oidc/{provider}/start", status_code=302, response_class=RedirectResponse)
async def oidc_start(provider: str, a: AdaptersDep) -> RedirectResponse:
    """Redirect to the identity provider (state, nonce and PKCE kept server-side)."""
    async with unit_of_work(a.engine) as tx:
        url, state = await oidc.start(tx, a, provider)
    response = RedirectResponse(url, 302, headers=NO_STORE)
    response.set_cookie(OIDC_COOKIE, state, max_age=600, secure=True, httponly=True, samesite="lax",
                        path=f"/v1/auth/oidc/{provider}")
    return response


@router.get("/oidc/{provider}/callback", response_model=TokenResponse | TwoFactorRequired)
async def oidc_callback(provider: str, request: Request, a: AdaptersDep, code: str | None = None,
                        state: str | None = None, error: str | None = None):
    """The provider sends the browser back here; answers tokens like /login."""
    if error or not code or not state:
        raise InvalidCredentials("The identity provider did not sign you in.")
    if request.cookies.get(OIDC_COOKIE) != state:  # the state must come back to the browser that started
        raise InvalidCredentials("The sign-in did not start in this browser; start again.")
    async with unit_of_work(a.engine) as tx:
        outcome = await oidc.callback(tx, a, provider, code, state)
    response = tokens_response(refused(outcome))
    response.delete_cookie(OIDC_COOKIE, path=f"/v1/auth/oidc/{provider}", secure=True, httponly=True, samesite="lax")
    return response


@jwks_router.get("/.well-known/jwks.json", response_model=JsonWebKeySet)
async def jwks(a: AdaptersDep) -> JSONResponse:
    """The public keys access tokens are signed with, the retiring ones included."""
    async with a.engine.connect() as conn:
        keys = await a.keys.published(conn)
    return JSONResponse({"keys": keys}, headers={"Cache-Control": "public, max-age=60"})
