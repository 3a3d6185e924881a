"""The answers the gateway gives itself instead of the upstream's: refusals in the kit's vocabulary.

Each is an `adly_kit.errors` error (its status and `code` come from the kit's class), with
the gateway's own title, detail and headers. Their bodies are older than the kit's `code`
and clients compare them (the one 404 must look the same whatever its cause), so the edge
renders them as they always were: `type`, `title`, `status`, `detail` (entrypoints/errors.py).
"""

from __future__ import annotations

from adly_gateway.domain.principal import Principal
from adly_kit.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound, Unauthenticated, UpstreamFailed

PROBLEMS = "https://docs.adly.dev/problems/"


class Refusal(DomainError):
    """A request the gateway answers itself; `detail` None leaves it out of the body."""

    type = "about:blank"
    detail_text: str | None = None
    at: str | None = None   # the part of the request at fault, e.g. `header/Idempotency-Key`

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail if detail is not None else self.detail_text
        super().__init__(self.detail or self.title, field=self.at)
        self.extra_headers = dict(headers or {})
        self.principal: Principal | None = None  # who was refused, for the audit log

    def headers(self) -> dict[str, str]:
        return self.extra_headers


class NothingHere(Refusal, NotFound):
    """The one 404: unknown route, unknown workspace and someone else's workspace look alike."""

    title = "Not Found"


class NotSignedIn(Refusal, Unauthenticated):
    title = "Authentication required"
    detail_text = "Send a valid access token or API key as `Authorization: Bearer …`."

    def __init__(self) -> None:
        super().__init__(headers={"WWW-Authenticate": 'Bearer realm="adly", error="invalid_token"'})


class RoleForbids(Refusal, NotAllowed):
    title = "Forbidden"
    detail_text = "Your role does not allow this."


class TwoFactorRequired(Refusal, NotAllowed):
    code = "two-factor-required"
    type = PROBLEMS + "two-factor-required"
    title = "Two-factor authentication required"
    detail_text = "Send a fresh proof from POST /v1/auth/2fa/verify as X-2FA-Token."


class MethodNotAllowed(Refusal):
    code = "method-not-allowed"
    status = 405
    title = "Method not allowed"

    def __init__(self, allowed: frozenset[str]) -> None:
        super().__init__(headers={"Allow": ", ".join(sorted(allowed))})


class TooManyRequests(Refusal):
    code = "too-many-attempts"
    status = 429
    title = "Too many requests"
    detail_text = "Slow down and retry after the time in Retry-After."

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})


class IdempotencyKeyRequired(Refusal, InvalidInput):
    status = 400
    title = "Idempotency-Key required"
    detail_text = "Send an Idempotency-Key header with every POST."


class IdempotencyKeyInvalid(Refusal, InvalidInput):
    status = 400
    title = "Invalid Idempotency-Key"
    detail_text = "1 to 255 visible ASCII characters."


class IdempotencyKeyReused(Refusal, InvalidInput):
    title = "Idempotency-Key reused"
    detail_text = "This key was used with a different request."
    at = "header/Idempotency-Key"  # a 422 names what is wrong, like every validation problem


class UnreadableBody(Refusal, InvalidInput):
    """A credential route's body the gateway cannot read: refused rather than forwarded without
    its per-account rate limit (the service would read the body the same way, or refuse it)."""

    code = "unreadable-body"
    status = 400
    title = "Request body cannot be read"
    detail_text = "Send valid JSON (application/json) or a form (application/x-www-form-urlencoded)."


class UnsupportedBody(Refusal, InvalidInput):
    code = "unsupported-media-type"
    status = 415
    title = "Unsupported media type"
    detail_text = "Send application/json or application/x-www-form-urlencoded."


class StillRunning(Refusal, Conflict):
    title = "Request in progress"
    detail_text = "A request with this Idempotency-Key is still running; retry later."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


class UpstreamTimedOut(Refusal, UpstreamFailed):
    code = "upstream-timed-out"
    status = 504
    title = "Upstream timed out"

    def __init__(self, upstream: str) -> None:
        super().__init__(f"The {upstream} service did not answer in time.")


class UpstreamUnreachable(Refusal, UpstreamFailed):
    """The request never reached the upstream (connection refused, no connection in time)."""

    title = "Upstream unavailable"

    def __init__(self, upstream: str) -> None:
        super().__init__(f"The {upstream} service cannot be reached.")


class OutcomeUnknown(Refusal, UpstreamFailed):
    """The request went out and no answer came back (the connection broke, the gateway died):
    it may have been carried out. Under an Idempotency-Key it is never carried out twice."""

    code = "outcome-unknown"
    type = PROBLEMS + "outcome-unknown"
    title = "Outcome unknown"

    def __init__(self, upstream: str) -> None:
        super().__init__(f"The {upstream} service failed before answering, so the request may or may not have been "
                         "carried out. A retry with the same Idempotency-Key never carries it out twice.")
