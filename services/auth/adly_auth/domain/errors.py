"""Domain errors: each names a rule that a request broke."""


class DomainError(Exception):
    """A request the domain refuses; `code` is stable, the message is for people."""

    code = "domain-error"
    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidInput(DomainError):
    code = "invalid-input"
    status = 422


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not-found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidCredentials(DomainError):
    code = "invalid-credentials"
    status = 401


class LockedOut(DomainError):
    code = "locked-out"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
