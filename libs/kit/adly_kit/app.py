"""The FastAPI app every service serves: its routers plus health, readiness and metrics."""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import make_asgi_app, start_http_server
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from adly_kit import health
from adly_kit import logging as adly_logging
from adly_kit.access_log import AccessLog
from adly_kit.active_requests import ActiveRequests
from adly_kit.db import database_is_ready
from adly_kit.errors import DomainError
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.metrics import RequestMetrics
from adly_kit.service import Runtime

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status} | ({"detail": detail} if detail else {}) | extra
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


VALIDATION_PROBLEM = {
    "title": "ValidationProblem",
    "type": "object",
    "required": ["type", "title", "status", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "const": 422},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def document_problems(document: dict) -> dict:
    """Describe 422 answers as what they are: problem+json with field paths (RFC 9457)."""
    document.setdefault("components", {}).setdefault("schemas", {})["ValidationProblem"] = VALIDATION_PROBLEM
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "422" in operation.get("responses", {}):
                operation["responses"]["422"] = {
                    "description": "Validation error",
                    "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/ValidationProblem"}}},
                }
    document["components"]["schemas"].pop("HTTPValidationError", None)
    document["components"]["schemas"].pop("ValidationError", None)
    return document


def _problem_openapi(app: FastAPI):
    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(
                get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
            )
        return app.openapi_schema

    return openapi


async def adapters(connection: HTTPConnection) -> Any:
    """The one route dependency of every service: the adapters its runtime built.

    Each service names it with its own type: `Annotated[Adapters, Depends(adapters)]`.
    Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` one in a worker
    thread, a thread hop and back per request."""
    return connection.app.state.runtime.adapters


def problem_of(error: DomainError) -> JSONResponse:
    """A domain error as the one problem+json answer every route gives."""
    extra: dict[str, Any] = {"code": error.code}
    if problems := error.problems():
        extra["errors"] = [{"path": path, "message": message} for path, message in problems]
    response = problem(error.status, error.title, str(error), **extra)
    response.headers.update(error.headers())
    return response


def create_app(runtime: Runtime, roles: tuple[str, ...]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        metrics_listener = _start_metrics_listener(runtime)
        try:
            await runtime.start(roles)
            yield
        finally:
            try:
                await runtime.stop()
            finally:
                if metrics_listener is not None:
                    metrics_listener.shutdown()
                    metrics_listener.server_close()

    service = runtime.service
    options = service.app_options(runtime.settings) if service.app_options is not None else {}
    app = FastAPI(title=f"ADLY {runtime.service.name}", lifespan=lifespan, **options)
    if "api" in roles:
        for router in runtime.service.routers:
            app.include_router(router)
    if runtime.settings.metrics_port is None:
        app.mount("/metrics", make_asgi_app())
    _add_probes(app, runtime)
    # Innermost of the kit's: a request's wait for its turn shows in its metrics and access log.
    app.add_middleware(ActiveRequests, limit=runtime.settings.http_max_active_requests)
    app.add_middleware(RequestMetrics)
    app.add_middleware(AccessLog)  # inside RequestIds, so its line carries the request id
    app.add_middleware(RequestIds)
    if runtime.settings.sandbox:
        log.warning("SANDBOX: adly-%s runs against local fake platforms (adly-dev run --sandbox); never in production",
                    service.name)
        app.add_middleware(SandboxHeader)
    _add_problem_handlers(app)
    # Always: it continues the caller's trace (or starts one), so what the request records
    # carries it even when no span is exported. The per-message send/receive spans are left
    # out; they cost per request and tell nothing the request's span does not.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,ready,metrics", exclude_spans=["receive", "send"])
    app.state.runtime = runtime
    app.openapi = _problem_openapi(app)  # type: ignore[method-assign]
    if service.extend_app is not None:
        service.extend_app(app, runtime.settings, roles)
    return app


def _start_metrics_listener(runtime: Runtime) -> Any:
    """Metrics on a port of their own, where only Prometheus is let in (see the settings)."""
    settings = runtime.settings
    if settings.metrics_port is None:
        return None
    server, _ = start_http_server(settings.metrics_port, addr=settings.metrics_host)
    url = f"http://{settings.metrics_host}:{server.server_port}/metrics"
    log.info("metrics served apart from the app", extra={"metrics_url": url})
    return server


def _add_probes(app: FastAPI, runtime: Runtime) -> None:
    """`/health` (liveness: the process answers), `/ready` (may take traffic) and `/health/`
    (every dependency, for people and monitors; see adly_kit.health for the verdicts)."""
    broker = app.state.broker_outage = health.Outage()

    async def dependencies() -> tuple[dict, dict]:
        database, reachable = await asyncio.gather(
            health.database_check(lambda: database_is_ready(runtime.engine)),
            runtime.broker.ping(timeout=health.CHECK_TIMEOUT_SECONDS))
        return database, broker.observe(reachable)

    @app.get("/health", include_in_schema=False)
    async def alive() -> dict:
        return {"status": "ok", "service": runtime.service.name}

    @app.get("/ready", include_in_schema=False)
    async def ready():
        database, broker_state = await dependencies()
        # A broker blip (under READY_BROKER_GRACE_SECONDS) leaves the pod in rotation: the
        # outbox keeps what requests write and the relay sends it once the broker is back.
        # Without its database a process can answer nothing, so that stays a hard check.
        # Consumers still joining their groups do not make the process unready either: HTTP
        # serves meanwhile and their events wait in the topics (Runtime._join_consumer_groups).
        status = 503 if health.DOWN in (database["status"], broker_state["status"]) else 200
        word = "unavailable" if status == 503 else "degraded" if broker_state["status"] == health.DEGRADED else "ready"
        checks = {"database": database["status"] == health.OK, "broker": broker_state["status"] == health.OK}
        body = {"status": word, "checks": checks, "consumers": runtime.consumer_state}
        if "down_for_seconds" in broker_state:
            body["broker_down_for_seconds"] = broker_state["down_for_seconds"]
        return JSONResponse(body | ({"sandbox": True} if runtime.settings.sandbox else {}), status)

    @app.get("/health/", include_in_schema=False)
    async def health_report():
        database, broker_state = await dependencies()
        checks = {"database": database, "broker": broker_state, "disk": health.disk_check(health.data_dir(runtime.settings)),
                  "memory": health.memory_check(), "external_apis": health.EXTERNAL_APIS.check()}
        status = health.verdict(checks)
        body = {"status": status, "timestamp": health.timestamp(), "service": runtime.service.name, "checks": checks}
        return JSONResponse(body, 503 if status == "unhealthy" else 200)


class RequestIds:
    """`X-Request-ID` in (or a new one) and out, and on every log line of the request.

    Plain ASGI rather than `@app.middleware("http")`: that wrapper costs a task and a
    stream copy per request, measurable at the gateway's latency budget."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        value = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        value = value if value and len(value) <= 200 else str(uuid.uuid4())
        token = adly_logging.request_id.set(value)
        # Also in the request's state: an unhandled error is answered by Starlette's outermost
        # middleware, after this one has returned and the context variable is reset.
        scope.setdefault("state", {})["request_id"] = value

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", value.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            adly_logging.request_id.reset(token)


class SandboxHeader:
    """`X-Adly-Sandbox: true` on every answer of a sandbox process, so no client mistakes it
    for the real thing."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_marked(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-adly-sandbox", b"true")]
            await send(message)

        await self.app(scope, receive, send_marked)


def _add_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException):
        return problem(error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError):
        errors = [{"path": "/".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in error.errors()]
        return problem(422, "Request is not valid", errors=errors)

    @app.exception_handler(DomainError)
    async def refused(_: Request, error: DomainError):
        return problem_of(error)

    @app.exception_handler(ConcurrencyConflict)
    async def conflict(_: Request, error: ConcurrencyConflict):
        return problem(409, "Changed by someone else", "Reload and try again.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        request_id = getattr(request.state, "request_id", None)
        token = adly_logging.request_id.set(request_id)
        try:
            log.exception("unhandled error")
        finally:
            adly_logging.request_id.reset(token)
        answer = problem(500, "Internal error")
        if request_id:
            answer.headers["X-Request-ID"] = request_id  # the id the log line has, for the client to quote
        return answer
