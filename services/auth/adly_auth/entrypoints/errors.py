"""Domain errors and OAuth errors as HTTP answers, on every route of the auth routers."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from adly_auth.domain.errors import DomainError, LockedOut
from adly_auth.handlers.outcomes import OAuthError
from adly_kit.app import problem

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def problem_of(error: DomainError) -> JSONResponse:
    extra = {"code": error.code}
    if error.field:
        extra["errors"] = [{"path": f"body/{error.field}", "message": str(error)}]
    response = problem(error.status, _TITLES.get(error.status, "Request refused"), str(error), **extra)
    if isinstance(error, LockedOut):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def oauth_error(error: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="adly", charset="UTF-8"'
    return JSONResponse({"error": error.error, "error_description": error.description}, error.status, headers=headers)


class AuthRoute(APIRoute):
    """Turns what the handlers raise into problem+json (and OAuth JSON on the token endpoint)."""

    def get_route_handler(self) -> Callable:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handle(request)
            except DomainError as error:
                return problem_of(error)
            except OAuthError as error:
                return oauth_error(error)

        return route


_TITLES = {401: "Not authenticated", 403: "Forbidden", 404: "Not found", 409: "Conflict",
           422: "Request is not valid", 429: "Too many attempts"}
