"""Domain errors as problem+json, on every route of the creative routers."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from adly_creative.domain.errors import DomainError
from adly_kit.app import problem

_TITLES = {402: "Limit reached", 403: "Forbidden", 404: "Not found", 409: "Conflict", 422: "Request is not valid"}


def problem_of(error: DomainError) -> JSONResponse:
    extra: dict = {"code": error.code}
    if error.field:
        extra["errors"] = [{"path": f"body/{error.field}", "message": str(error)}]
    return problem(error.status, _TITLES.get(error.status, "Request refused"), str(error), **extra)


class CreativeRoute(APIRoute):
    """Turns what the handlers raise into problem+json."""

    def get_route_handler(self) -> Callable:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handle(request)
            except DomainError as error:
                return problem_of(error)

        return route
