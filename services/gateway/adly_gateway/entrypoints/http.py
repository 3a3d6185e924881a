"""The gateway's public HTTP surface: its own routes, the live socket, and the proxy to every upstream.

Everything under `/v1` (and auth's JWKS) passes one pipeline: admission (authenticate,
rate-limit, authorize from the read model), Idempotency-Key on POST, the signed
X-Adly-Identity, the upstream call with timeouts, and an audit record of every mutating
call. The audit log and the live socket are served here; everything else is proxied.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response
from opentelemetry import propagate
from pydantic import BaseModel

from adly_gateway.adapters.audit import AuditEntry, ip_hash
from adly_gateway.adapters.idempotency import Stored
from adly_gateway.adapters.upstream import UpstreamTimeout, UpstreamUnavailable
from adly_gateway.domain.authorization import Verdict, authorize, parse_workspace_id
from adly_gateway.domain.idempotency import fingerprint, valid_key
from adly_gateway.domain.principal import Principal
from adly_gateway.domain.routes import MUTATING, Access, resolve
from adly_gateway.handlers.admission import (
    Admission,
    Caller,
    GatewayError,
    InvalidCredentials,
    account_of,
)
from adly_kit import identity as identity_header
from adly_kit.app import PROBLEM

if TYPE_CHECKING:
    from adly_gateway.bootstrap import Gateway

log = logging.getLogger(__name__)

# Internal routes keep the shape's prefix; the gateway has none yet.
router = APIRouter(prefix="/internal/gateway", tags=["gateway"])
public = APIRouter()

PROXY_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
FORWARDED_REQUEST_HEADERS = (
    "content-type", "accept", "accept-language", "if-match", "if-none-match", "if-modified-since",
    "if-unmodified-since", "idempotency-key", "user-agent",
)
# Webhook deliveries are verified by the catalog on their own headers (signature, topic, delivery id).
WEBHOOK_HEADER_PREFIXES = ("x-shopify-", "x-wc-webhook-", "x-wc-delivery-", "x-salla-", "x-zid-")
REPLAYED_HEADERS = ("content-type", "location", "etag", "cache-control", "content-disposition")


def gateway_of(request: Request | WebSocket) -> Gateway:
    return request.app.state.gateway


def error_response(error: GatewayError) -> JSONResponse:
    body = {"type": error.type or "about:blank", "title": error.title, "status": error.status}
    if error.detail:
        body["detail"] = error.detail
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM, headers=error.headers)


def client_ip(request: Request | WebSocket) -> str | None:
    return request.client.host if request.client else None


def caller_of(request: Request, body: bytes = b"") -> Caller:
    headers = request.headers
    return Caller(
        method=request.method,
        path=request.url.path,
        authorization=headers.get("authorization"),
        two_factor=headers.get("x-2fa-token"),
        ip=client_ip(request),
        account=account_of(body, headers.get("content-type"), headers.get("authorization")) if body or headers.get("authorization") else None,
    )


def identity_for(gateway: Gateway, admission: Admission, request_id: str | None) -> str | None:
    principal = admission.principal
    if principal is None:
        return None
    workspace = admission.workspace_id if admission.role is not None else None
    if principal.kind == "api_key":
        workspace, role = principal.ws, principal.role
    else:
        role = admission.role if workspace is not None else None
    claims = {
        "sub": principal.sub,
        "kind": principal.kind,
        "ws": str(workspace) if workspace else None,
        "role": role,
        "sid": principal.sid,
        "mfa": principal.mfa,
        "rid": request_id,
    }
    return identity_header.sign(claims, gateway.identity_key)


# --- the gateway's own routes --------------------------------------------------------------


class AuditRecord(BaseModel):
    id: int
    at: str
    actor: str | None
    actor_kind: str | None
    method: str
    route: str
    status: int
    request_id: str | None
    ip_hash: str | None


class AuditPage(BaseModel):
    items: list[AuditRecord]
    next_before: int | None = None


@public.get(
    "/v1/workspaces/{workspace_id}/audit-log",
    response_model=AuditPage,
    tags=["gateway"],
    summary="Mutating calls in the workspace, newest first (owners and admins)",
    responses={401: {"description": "Not signed in"}, 403: {"description": "Not an owner or admin"},
               404: {"description": "No such workspace, or not a member"}, 429: {"description": "Rate limited"}},
)
async def audit_log(
    request: Request,
    workspace_id: str,
    limit: Annotated[int, Query(ge=1, description="Page size; values above 100 are clamped to 100.")] = 50,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="`next_before` of the previous page.")] = None,
):
    gateway = gateway_of(request)
    try:
        admission = await gateway.admitter.admit(caller_of(request))
    except GatewayError as error:
        return error_response(error)
    assert admission.workspace_id is not None
    rows = await gateway.audit.page(admission.workspace_id, before, min(limit, gateway.settings.audit_page_max))
    page_size = min(limit, gateway.settings.audit_page_max)
    next_before = rows[-1]["id"] if len(rows) == page_size and rows else None
    return JSONResponse(
        AuditPage(items=[AuditRecord(**r) for r in rows], next_before=next_before).model_dump(mode="json"),
        headers=admission.rate_headers(),
    )


@public.websocket("/v1/workspaces/{workspace_id}/live")
async def live(websocket: WebSocket, workspace_id: str):
    """First message `{"type":"auth","token":…}` within 5 s; then the workspace's events as JSON."""
    gateway = gateway_of(websocket)
    origin = websocket.headers.get("origin")
    if origin is not None and origin not in gateway.settings.cors_origins:
        await websocket.close(code=4403)
        return
    await websocket.accept()
    authenticated = await _live_principal(websocket, gateway)
    if authenticated is None:
        return
    principal, token = authenticated
    ws = parse_workspace_id(workspace_id)
    role = await _live_role(gateway, token, ws)
    match = resolve("GET", f"/v1/workspaces/{workspace_id}/live").match
    if ws is None or role is None or match is None:
        await websocket.close(code=4404, reason="not found")
        return
    if authorize(match, principal, role) is not Verdict.ALLOW:
        await websocket.close(code=4403, reason="forbidden")
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(gateway.live.ready.wait(), timeout=10.0)
    subscriber = gateway.live.subscribe(str(ws))
    try:
        await websocket.send_text(json.dumps({"type": "ready", "workspace_id": str(ws)}))
        await _pump(websocket, gateway, subscriber, token, ws)
    except WebSocketDisconnect:
        pass
    finally:
        gateway.live.unsubscribe(str(ws), subscriber)


async def _live_principal(websocket: WebSocket, gateway: Gateway) -> tuple[Principal, str] | None:
    try:
        message = await asyncio.wait_for(websocket.receive_text(), timeout=gateway.settings.live_auth_timeout_seconds)
        first = json.loads(message)
        token = first.get("token") if isinstance(first, dict) and first.get("type") == "auth" else None
        if not isinstance(token, str) or not token:
            raise InvalidCredentials("first message")
        principal, _ = await gateway.admitter.authenticate(f"Bearer {token}", None, None)
        if principal is None:
            raise InvalidCredentials("no principal")
        return principal, token
    except (TimeoutError, ValueError, InvalidCredentials, WebSocketDisconnect, KeyError):
        with contextlib.suppress(Exception):
            await websocket.close(code=4401, reason="authentication required")
        return None


async def _live_role(gateway: Gateway, token: str, ws: UUID | None) -> str | None:
    if ws is None:
        return None
    try:
        _, role = await gateway.admitter.authenticate(f"Bearer {token}", None, ws)
    except InvalidCredentials:
        return None
    return role


async def _pump(websocket: WebSocket, gateway: Gateway, subscriber, token: str, ws: UUID) -> None:
    """Send events; every few seconds re-check the token and membership (removal ends the stream)."""
    loop = asyncio.get_running_loop()
    next_check = loop.time() + gateway.settings.live_recheck_seconds
    receiver = asyncio.create_task(_drain(websocket))
    try:
        while True:
            if receiver.done():
                return
            if subscriber.overflowed.is_set():
                await websocket.close(code=1013, reason="too slow; reconnect")
                return
            if loop.time() >= next_check:
                try:
                    _, role = await gateway.admitter.authenticate(f"Bearer {token}", None, ws)
                except InvalidCredentials:
                    await websocket.close(code=4401, reason="token no longer valid")
                    return
                if role is None:
                    await websocket.close(code=4404, reason="not found")
                    return
                next_check = loop.time() + gateway.settings.live_recheck_seconds
            try:
                frame = await asyncio.wait_for(subscriber.queue.get(), timeout=0.5)
            except TimeoutError:
                continue
            await websocket.send_text(frame)
    finally:
        receiver.cancel()
        with contextlib.suppress(BaseException):
            await receiver


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, so a disconnect is noticed."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()


# --- everything else: the proxy -------------------------------------------------------------


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


@public.api_route("/.well-known/jwks.json", methods=["GET", "HEAD"], include_in_schema=False)
@public.api_route("/v1/{path:path}", methods=PROXY_METHODS, include_in_schema=False)
async def proxy(request: Request) -> Response:
    gateway = gateway_of(request)
    started = time.perf_counter()
    admission: Admission | None = None
    principal: Principal | None = None
    status = 500
    try:
        body = await request.body()
        admission = await gateway.admitter.admit(caller_of(request, body))
        principal = admission.principal
        response = await _forward(gateway, request, admission, body)
        status = response.status_code
        return response
    except GatewayError as error:
        status = error.status
        principal = error.principal
        return error_response(error)
    finally:
        if request.method in MUTATING:
            await _audit(gateway, request, admission, principal, status)
        gateway.observe(request.method, status, time.perf_counter() - started)


async def _forward(gateway: Gateway, request: Request, admission: Admission, body: bytes) -> Response:
    match = admission.match
    principal = admission.principal
    idempotency = None
    if request.method == "POST" and _idempotent_route(admission):
        key = request.headers.get("idempotency-key")
        if key is None and gateway.settings.idempotency_key_required and match.route.access is Access.WORKSPACE:
            raise GatewayError(400, "Idempotency-Key required", "Send an Idempotency-Key header with every POST.")
        if key is not None:
            if not valid_key(key):
                raise GatewayError(400, "Invalid Idempotency-Key", "1 to 255 visible ASCII characters.")
            scope = principal.sub if principal is not None else f"ip:{ip_hash(client_ip(request), gateway.identity_key)}"
            print_ = fingerprint(request.method, request.url.path, request.url.query, body)
            claim = await gateway.idempotency.begin(scope, key, print_)
            if claim.outcome == "mismatch":
                raise GatewayError(422, "Idempotency-Key reused", "This key was used with a different request.")
            if claim.outcome == "running":
                raise GatewayError(409, "Request in progress", "A request with this Idempotency-Key is still running; retry later.",
                                   headers={"Retry-After": "1"})
            if claim.outcome == "replay":
                stored = claim.stored
                return Response(stored.body, status_code=stored.status,
                                headers=stored.headers | {"Idempotent-Replayed": "true"} | admission.rate_headers())
            idempotency = (scope, key, print_)
    try:
        result = await gateway.upstreams.send(
            # The path as the client encoded it: decoding and re-encoding would turn an
            # escaped control character into a URL httpx refuses (a 500 instead of the upstream's 4xx).
            match.route.upstream, request.method, _raw_path(request), request.url.query,
            _upstream_headers(gateway, request, admission), body,
        )
    except UpstreamTimeout:
        error = GatewayError(504, "Upstream timed out", f"The {match.route.upstream} service did not answer in time.")
        if idempotency:  # it may have acted: remember the outcome rather than run it twice
            await gateway.idempotency.finish(*idempotency, Stored(504, {"content-type": PROBLEM}, _problem_bytes(error)))
        raise error from None
    except UpstreamUnavailable:
        if idempotency:  # it never got the request: let a retry run
            await gateway.idempotency.release(*idempotency)
        raise GatewayError(502, "Upstream unavailable", f"The {match.route.upstream} service cannot be reached.") from None
    except BaseException:
        if idempotency:
            with contextlib.suppress(Exception):
                await gateway.idempotency.release(*idempotency)
        raise
    headers = dict(admission.rate_headers())
    response = Response(result.body, status_code=result.status)
    for name, value in result.headers:
        response.headers.append(name, value)
    for name, value in headers.items():
        response.headers[name] = value
    if idempotency:
        kept = {k.lower(): v for k, v in result.headers if k.lower() in REPLAYED_HEADERS}
        await gateway.idempotency.finish(*idempotency, Stored(result.status, kept, result.body))
    return response


def _idempotent_route(admission: Admission) -> bool:
    """Credential routes never store responses (tokens, new API keys, TOTP secrets)."""
    route = admission.match.route
    if route.access in (Access.PUBLIC, Access.USER):
        return False
    return not (route.upstream == "auth" and route.template.endswith("/api-keys"))


def _upstream_headers(gateway: Gateway, request: Request, admission: Admission) -> list[tuple[str, str]]:
    incoming = request.headers
    headers = [(name, incoming[name]) for name in FORWARDED_REQUEST_HEADERS if name in incoming]
    request_id = incoming.get("x-request-id")
    if request_id:
        headers.append(("x-request-id", request_id))
    headers.append(("accept-encoding", "identity"))
    ip = client_ip(request)
    if ip:
        headers.append(("x-forwarded-for", ip))
    route = admission.match.route
    if route.forward_webhook_headers:
        headers += [(k, v) for k, v in incoming.items() if k.startswith(WEBHOOK_HEADER_PREFIXES)]
    if route.forward_authorization and "authorization" in incoming:
        headers.append(("authorization", incoming["authorization"]))
    if route.upstream == "auth" and route.access is Access.PUBLIC and "cookie" in incoming:
        headers.append(("cookie", incoming["cookie"]))
    signed = identity_for(gateway, admission, request_id)
    if signed:
        headers.append((identity_header.HEADER, signed))
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    headers.extend(carrier.items())
    return headers


def _problem_bytes(error: GatewayError) -> bytes:
    return bytes(error_response(error).body)


async def _audit(
    gateway: Gateway, request: Request, admission: Admission | None, principal: Principal | None, status: int
) -> None:
    match = admission.match if admission else None
    if match is not None:
        route = match.template
    else:
        resolution = resolve(request.method, request.url.path)
        route = resolution.match.template if resolution.match else "(unmatched)"
    workspace = admission.workspace_id if admission else parse_workspace_id(resolve(request.method, request.url.path).workspace_id)
    entry = AuditEntry(
        actor=principal.sub if principal else None,
        actor_kind=principal.kind if principal else None,
        workspace_id=workspace,
        method=request.method,
        route=route,
        status=status,
        request_id=request.headers.get("x-request-id"),
        ip_hash=ip_hash(client_ip(request), gateway.identity_key),
    )
    try:
        await gateway.audit.record(entry)
    except Exception:
        log.exception("audit record failed")
