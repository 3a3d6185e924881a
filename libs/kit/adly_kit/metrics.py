"""Prometheus metrics every service shares (`/metrics`): the event backbone's and the HTTP requests'."""

import re

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter(
    "adly_events_appended_total", "Events appended to the event store.", ["schema", "aggregate_type"]
)
EVENTS_PUBLISHED = Counter(
    "adly_events_published_total", "Outbox events acknowledged by the broker.", ["schema", "topic"]
)
EVENTS_CONSUMED = Counter(
    "adly_events_consumed_total", "Events a consumer applied, or skipped as already applied.",
    ["consumer", "topic", "outcome"],
)
EVENTS_FAILED = Counter(
    "adly_events_failed_total", "Handler attempts that raised, before any retry.", ["consumer", "topic"]
)
EVENTS_DEAD_LETTERED = Counter(
    "adly_events_dead_lettered_total", "Records sent to a dead-letter topic.", ["consumer", "topic"]
)
RELAY_LAG_EVENTS = Gauge("adly_relay_lag_events", "Committed outbox rows not yet published.", ["schema"])
RELAY_LAG_SECONDS = Gauge("adly_relay_lag_seconds", "Age of the oldest unpublished outbox row.", ["schema"])
CONSUMER_LAG = Gauge(
    "adly_consumer_lag_records", "Records behind the partition's high watermark.", ["consumer", "topic", "partition"]
)
HANDLER_SECONDS = Histogram(
    "adly_event_handler_seconds", "Time to apply one event, retries included.", ["consumer", "topic"]
)

# The seed's request counter. `endpoint` is the route template, never the raw path: one
# series per route, however many workspaces and campaigns the paths name.
API_REQUESTS = Counter(
    "api_requests_total", "HTTP requests answered, by method, route template and status.",
    ["method", "endpoint", "status"],
)
UNMATCHED = "unmatched"
Templates = dict[int, list[tuple[str, re.Pattern[str]]]]  # id of a route -> (template, its regex)


class RequestMetrics:
    """Counts every answered request in `api_requests_total` (plain ASGI, like RequestIds)."""

    def __init__(self, app) -> None:
        self.app = app
        self._templates: Templates | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = 500  # what the client gets when the app raises before answering

        async def send_counted(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            API_REQUESTS.labels(scope["method"], self.endpoint(scope), str(status)).inc()

    def endpoint(self, scope) -> str:
        # Starlette leaves the route it matched in the scope; a Mount (the /metrics app)
        # leaves only the app it handed the request to.
        key = scope.get("route") or scope.get("endpoint")
        if key is None:
            return UNMATCHED
        if self._templates is None and "app" in scope:
            self._templates = full_templates(scope["app"].routes)
        candidates = (self._templates or {}).get(id(key), [])
        if len(candidates) > 1:  # one route included under two prefixes: the one this path took
            return next((path for path, pattern in candidates if pattern.match(scope["path"])), candidates[0][0])
        return candidates[0][0] if candidates else getattr(key, "path", None) or UNMATCHED


def full_templates(routes) -> Templates:
    """Each route's full path template(s), by the identity of what the router leaves in the
    scope. A route of a router included in another router knows only its own router's
    prefix: FastAPI's route contexts carry the whole one. Built once, at the first request,
    when every router (and what a service's `extend_app` added) is in place."""
    from fastapi.routing import iter_route_contexts
    from starlette.routing import Mount, compile_path

    templates: Templates = {}
    for context in iter_route_contexts(routes):
        route, path = context.original_route, context.path
        if path is None:
            continue
        key = route.app if isinstance(route, Mount) else route
        templates.setdefault(id(key), []).append((path, compile_path(path)[0]))
    return templates
