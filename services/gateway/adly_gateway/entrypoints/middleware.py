"""The edge of every HTTP response: request ids, security headers, body limit, no stack traces.

A plain ASGI middleware, outermost, so its headers are on every answer the gateway gives:
proxied ones, its own problems, 404s of unknown routes, CORS preflights, 413s, and the
500 of an unexpected error (which it logs and answers itself, without details).

It is also the first to see a path: one not in canonical form (domain/paths.py) is refused
with 400 here, before any route, rule or upstream is asked about it, for HTTP and WebSocket alike.
"""

from __future__ import annotations

import json
import logging
import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adly_gateway.domain.paths import non_canonical
from adly_gateway.domain.refusals import PROBLEMS

log = logging.getLogger(__name__)

# The seed's headers (seeds/000, "Security Headers").
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "1; mode=block",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
_SECURITY = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
# Swagger UI (development only: /docs is off in production) loads its assets from a CDN.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com"
)
_DOCS_SECURITY = [(k, DOCS_CSP.encode() if k == b"content-security-policy" else v) for k, v in _SECURITY]
_SECURITY_NAMES = {k for k, _ in _SECURITY}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
PROBLEM = b"application/problem+json"
NON_CANONICAL_TYPE = PROBLEMS + "non-canonical-path"
NON_CANONICAL_DETAIL = "Paths may not contain dot segments, backslashes or empty segments, however encoded."


class BodyTooLarge(Exception):
    pass


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, docs_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refused = non_canonical(_raw_path(scope))
        if scope["type"] == "websocket":
            if refused is not None:  # closed before the handshake: the client sees a 403
                log.info("non-canonical path refused", extra={"reason": refused})
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = False
        docs = scope.get("path") in self.docs_paths

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _SECURITY_NAMES]
                headers += _DOCS_SECURITY if docs else _SECURITY
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                message = message | {"headers": headers}
            await send(message)

        if refused is not None:
            log.info("non-canonical path refused", extra={"reason": refused})
            await self._problem(send_with_headers, 400, "Path not in canonical form", NON_CANONICAL_DETAIL,
                                NON_CANONICAL_TYPE)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_body_bytes:
            await self._problem(send_with_headers, 413, "Request body too large", f"At most {self.max_body_bytes} bytes.")
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception as error:
            if _caused_by(error, BodyTooLarge):
                if not started:
                    await self._problem(send_with_headers, 413, "Request body too large", f"At most {self.max_body_bytes} bytes.")
                return
            log.exception("unhandled error")
            if not started:
                await self._problem(send_with_headers, 500, "Internal error", None)
            else:
                raise

    @staticmethod
    async def _problem(send: Send, status: int, title: str, detail: str | None, type_: str = "about:blank") -> None:
        body = {"type": type_, "title": title, "status": status} | ({"detail": detail} if detail else {})
        payload = json.dumps(body).encode()
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM), (b"content-length", str(len(payload)).encode())],
        })
        await send({"type": "http.response.body", "body": payload})


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """Also through the exception groups of middleware task groups."""
    if isinstance(error, kind):
        return True
    if isinstance(error, BaseExceptionGroup):
        return any(_caused_by(e, kind) for e in error.exceptions)
    return error.__cause__ is not None and _caused_by(error.__cause__, kind)


def _request_id(scope: Scope) -> str:
    """The client's X-Request-ID if it is a sane token, else a new UUID; written back into the scope."""
    headers = [(k, v) for k, v in scope.get("headers", []) if k != b"x-request-id"]
    given = next((v for k, v in scope.get("headers", []) if k == b"x-request-id"), None)
    value = given.decode("latin-1") if given is not None else ""
    if not _REQUEST_ID.match(value):
        value = str(uuid.uuid4())
    headers.append((b"x-request-id", value.encode()))
    scope["headers"] = headers
    return value


def _raw_path(scope: Scope) -> str:
    """The path as the client wrote it (what the upstream call will carry), without the query."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1").partition("?")[0] if raw else scope.get("path", "/")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
