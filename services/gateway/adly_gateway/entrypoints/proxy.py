"""The proxy: everything under `/v1` (and auth's JWKS) that the gateway does not serve itself.

One pipeline: admission (authenticate, rate-limit, authorize from the read model),
Idempotency-Key on POST, the signed X-Adly-Identity and the caller's trace context, the
upstream call with timeouts, and an audit record of every mutating call, refused ones included.
"""

from __future__ import annotations

import contextlib
import logging
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Histogram

from adly_gateway.adapters.audit import AuditEntry, ip_hash
from adly_gateway.adapters.container import Edge
from adly_gateway.adapters.idempotency import Stored
from adly_gateway.adapters.upstream import UpstreamError, UpstreamTimeout
from adly_gateway.domain.authorization import parse_workspace_id
from adly_gateway.domain.idempotency import applies, fingerprint, valid_key
from adly_gateway.domain.principal import Principal
from adly_gateway.domain.refusals import (
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    NothingHere,
    OutcomeUnknown,
    Refusal,
    StillRunning,
    UpstreamTimedOut,
    UpstreamUnreachable,
)
from adly_gateway.domain.routes import MUTATING, Access, resolve
from adly_gateway.entrypoints.deps import EdgeDep, caller_of, client_ip
from adly_gateway.entrypoints.errors import answer
from adly_gateway.handlers.admission import Admission
from adly_kit import identity as identity_header
from adly_kit.active_requests import waiting_elsewhere
from adly_kit.app import PROBLEM

log = logging.getLogger(__name__)
router = APIRouter()

REQUESTS = Histogram(
    "adly_gateway_request_seconds", "Time spent on a proxied request, by method and status class.", ["method", "status"]
)
PROXY_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
FORWARDED_REQUEST_HEADERS = (
    "content-type", "accept", "accept-language", "if-match", "if-none-match", "if-modified-since",
    "if-unmodified-since", "idempotency-key", "user-agent",
)
# Webhook deliveries are verified by the catalog on their own headers (signature, topic, delivery id).
WEBHOOK_HEADER_PREFIXES = ("x-shopify-", "x-wc-webhook-", "x-wc-delivery-", "x-salla-", "x-zid-")
REPLAYED_HEADERS = ("content-type", "location", "etag", "cache-control", "content-disposition")
# Only the W3C trace context travels on, not the caller's baggage: what a client puts there is
# not for the services to trust.
TRACE_CONTEXT = TraceContextTextMapPropagator()

Claimed = tuple[str, str, str]  # (scope, key, fingerprint) of an Idempotency-Key this request runs under


@router.api_route("/.well-known/jwks.json", methods=["GET", "HEAD"], include_in_schema=False)
@router.api_route("/v1/{path:path}", methods=PROXY_METHODS, include_in_schema=False)
async def proxy(request: Request, edge: EdgeDep) -> Response:
    started = time.perf_counter()
    admission: Admission | None = None
    principal: Principal | None = None
    status = 500
    try:
        body = await request.body()
        admission = await edge.admitter.admit(caller_of(request, body))
        principal = admission.principal
        response = await _forward(edge, request, admission, body)
        status = response.status_code
        return response
    except Refusal as refusal:  # answered by entrypoints.errors; noted here for the audit and the metrics
        status = refusal.status
        principal = refusal.principal or principal  # refused at admission: who it was, if anyone
        raise
    finally:
        if request.method in MUTATING:
            await _audit(edge, request, admission, principal, status)
        REQUESTS.labels(request.method, f"{status // 100}xx").observe(time.perf_counter() - started)


async def _forward(edge: Edge, request: Request, admission: Admission, body: bytes) -> Response:
    if admission.match.route.upstream == "gateway":
        # One of the gateway's own routes, asked in a way its handler does not serve (the live
        # socket over plain HTTP, HEAD of the audit log): there is no upstream to ask.
        raise NothingHere()
    claimed: Claimed | None = None
    if request.method == "POST" and applies(admission.match.route):
        outcome = await _claim(edge, request, admission, body)
        if isinstance(outcome, Response):
            return outcome
        claimed = outcome
    upstream = admission.match.route.upstream
    try:
        async with waiting_elsewhere():  # its slot is for the gateway's own work (adly_kit.active_requests)
            result = await edge.upstreams.send(
                # The path as the client encoded it: decoding and re-encoding would turn an
                # escaped control character into a URL httpx refuses (a 500 instead of the upstream's 4xx).
                # It is canonical (the edge refused dot segments and the like), so the route it
                # was matched as is the route the upstream serves.
                upstream, request.method, _raw_path(request), request.url.query,
                _upstream_headers(edge, request, admission), body,
            )
    except UpstreamError as error:
        refusal = _refusal_of(error, upstream)
        if claimed:
            await _settle_failure(edge, claimed, refusal, sent=error.sent)
        raise refusal from None
    except BaseException:  # cancelled mid-call: the request may have gone out
        if claimed:
            with contextlib.suppress(Exception):
                await edge.idempotency.unknown(*claimed, _stored(OutcomeUnknown(upstream)))
        raise
    response = Response(result.body, status_code=result.status)
    for name, value in result.headers:
        response.headers.append(name, value)
    for name, value in admission.rate_headers().items():
        response.headers[name] = value
    if claimed:
        kept = {k.lower(): v for k, v in result.headers if k.lower() in REPLAYED_HEADERS}
        await edge.idempotency.finish(*claimed, Stored(result.status, kept, result.body))
    return response


def _refusal_of(error: UpstreamError, upstream: str) -> Refusal:
    if isinstance(error, UpstreamTimeout):
        return UpstreamTimedOut(upstream)
    return OutcomeUnknown(upstream) if error.sent else UpstreamUnreachable(upstream)


async def _settle_failure(edge: Edge, claimed: Claimed, refusal: Refusal, *, sent: bool) -> None:
    """A request that never left is forgotten, so a retry runs; one that went out without an
    answer keeps its key with the outcome unknown (adapters/idempotency.py says what a retry gets)."""
    if sent:
        await edge.idempotency.unknown(*claimed, _stored(refusal))
    else:
        await edge.idempotency.release(*claimed)


def _stored(refusal: Refusal) -> Stored:
    return Stored(refusal.status, {"content-type": PROBLEM}, bytes(answer(refusal).body))


async def _claim(edge: Edge, request: Request, admission: Admission, body: bytes) -> Claimed | Response | None:
    """The Idempotency-Key this POST runs under, the stored answer of its earlier run, or None without a key."""
    key = request.headers.get("idempotency-key")
    if key is None:
        if edge.settings.idempotency_key_required and admission.match.route.access is Access.WORKSPACE:
            raise IdempotencyKeyRequired()
        return None
    if not valid_key(key):
        raise IdempotencyKeyInvalid()
    principal = admission.principal
    assert principal is not None, "keys apply only where a principal was admitted"
    route = admission.match.route
    print_ = fingerprint(request.method, request.url.path, request.url.query, body)
    claim = await edge.idempotency.begin(principal.sub, key, print_, retry_unknown=route.honours_idempotency_key)
    if claim.outcome == "mismatch":
        raise IdempotencyKeyReused()
    if claim.outcome == "running":
        raise StillRunning()
    if claim.outcome == "unknown":  # its gateway died mid-request; this upstream cannot be asked again safely
        raise OutcomeUnknown(route.upstream)
    if claim.outcome == "replay" and claim.stored is not None:
        stored = claim.stored
        return Response(stored.body, status_code=stored.status,
                        headers=stored.headers | {"Idempotent-Replayed": "true"} | admission.rate_headers())
    return principal.sub, key, print_


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def _upstream_headers(edge: Edge, request: Request, admission: Admission) -> list[tuple[str, str]]:
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
    signed = _identity(edge, admission, request_id)
    if signed:
        headers.append((identity_header.HEADER, signed))
    headers.extend(_trace_context(request).items())
    return headers


def _trace_context(request: Request) -> dict[str, str]:
    """The caller's trace continues upstream: as the gateway's own span when one is active
    (a child of the caller's traceparent), else the caller's W3C context passed on as it came
    (no span here: nothing is lost by not recording one). Malformed context is dropped."""
    carrier: dict[str, str] = {}
    TRACE_CONTEXT.inject(carrier)
    if "traceparent" not in carrier:
        TRACE_CONTEXT.inject(carrier, context=TRACE_CONTEXT.extract(request.headers))
    return carrier


def _identity(edge: Edge, admission: Admission, request_id: str | None) -> str | None:
    """The signed X-Adly-Identity (docs/identity.md): who calls, in which workspace, with which role."""
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
    return identity_header.sign(claims, edge.identity_key)


async def _audit(edge: Edge, request: Request, admission: Admission | None, principal: Principal | None,
                 status: int) -> None:
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
        ip_hash=ip_hash(client_ip(request), edge.identity_key),
    )
    try:
        await edge.audit.record(entry)
    except Exception:
        log.exception("audit record failed")
