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


class LimitReached(DomainError):
    """The workspace's monthly quota or spend cap refuses the job (`code` says which)."""

    status = 402

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
