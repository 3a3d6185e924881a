"""One JSON line per request, and the request's span told the route rather than the raw path.

Raw paths and query strings carry secrets (invitation and reset tokens in paths, WooCommerce
keys in queries), and raw paths are unbounded: both the log line and the server span name the
matched route template instead. The request and trace ids come from the kit's log filter.
"""

from __future__ import annotations

import logging
import time

from opentelemetry import trace

log = logging.getLogger("adly.access")

UNLOGGED = frozenset({"/health", "/ready", "/metrics"})
# What the ASGI instrumentation records of the raw target, in the old and the new conventions.
RAW_TARGET_ATTRIBUTES = ("http.target", "http.url", "url.path", "url.query", "url.full")
UNMATCHED = "<unmatched>"


def route_of(scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


class AccessLog:
    """Plain ASGI, like `RequestIds`, for the same per-request cost."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") in UNLOGGED:
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def send_noting_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Now: the server span ends with the last body message, before this returns.
                _name_route_on_span(route_of(scope))
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = route_of(scope)
            _name_route_on_span(route)  # an error's answer is sent outside: the span is still open
            log.info("request", extra={"method": scope["method"], "route": route, "status": status,
                                       "duration_ms": round((time.perf_counter() - started) * 1000, 2)})


def _name_route_on_span(route: str) -> None:
    span = trace.get_current_span()
    attributes = getattr(span, "attributes", None)
    if not span.is_recording() or attributes is None:
        return
    for key in RAW_TARGET_ATTRIBUTES:
        if key in attributes:
            span.set_attribute(key, route if key != "url.query" else "")
