"""The one error vocabulary of every service: what a request broke, in the merchant's words.

Domains raise these (plain Python, no web library); `adly_kit.app` turns each into one
problem+json answer (RFC 9457) with its stable `code` and, where a field is to blame, the
field's path. Routes never build error responses of their own.
"""

from __future__ import annotations

LOCATIONS = ("body/", "query/", "path/", "header/")


class DomainError(Exception):
    """A request the domain refuses; `code` is stable for programs, the message is for people."""

    code = "domain-error"
    status = 422
    title = "Request refused"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        if code is not None:
            self.code = code

    @property
    def path(self) -> str | None:
        """Where in the request the fault lies: `body/email`, `query/since`; a bare field is in the body."""
        if self.field is None:
            return None
        return self.field if self.field.startswith(LOCATIONS) else f"body/{self.field}"

    def headers(self) -> dict[str, str]:
        return {}

    def problems(self) -> list[tuple[str, str]]:
        """Every (path, message) at fault; a subclass that finds several at once lists them all."""
        return [(self.path, str(self))] if self.path is not None else []

    @staticmethod
    def located(field: str) -> str:
        return field if field.startswith(LOCATIONS) else f"body/{field}"


class InvalidInput(DomainError):
    code = "invalid-input"
    status = 422
    title = "Request is not valid"


class Unauthenticated(DomainError):
    code = "invalid-credentials"
    status = 401
    title = "Not authenticated"


class LimitReached(DomainError):
    """A plan's quota or spend cap refuses the request (`code` says which)."""

    code = "limit-reached"
    status = 402
    title = "Limit reached"


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    code = "not-found"
    status = 404
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict"


class TooManyAttempts(DomainError):
    code = "too-many-attempts"
    status = 429
    title = "Too many attempts"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, field=field, code=code)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class UpstreamFailed(DomainError):
    """A platform or provider we depend on failed or could not be reached; trying later may work."""

    code = "upstream-failed"
    status = 502
    title = "Bad gateway"
