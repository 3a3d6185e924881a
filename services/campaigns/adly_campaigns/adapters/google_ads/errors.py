"""Google Ads error bodies, classified into the port's `ErrorKind`.

A refused call answers `{"error": {"code": 400, "message", "status": "INVALID_ARGUMENT",
"details": [{"@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
"errors": [{"errorCode": {"fieldError": "REQUIRED"}, "message", "trigger": {...},
"location": {"fieldPathElements": [{"fieldName": "operations", "index": 0}, ...]},
"details": {"quotaErrorDetails": {"rateScope", "rateName", "retryDelay": "30s"}}}],
"requestId"}]}}`. The class comes from the first error's `errorCode` (one key: its family,
its value: the reason); without a GoogleAdsFailure, from the gRPC `status`. A mutate sent
with `partialFailure` answers 200 with a `partialFailureError` of the same shape; ADLY
always sends `partialFailure: false`, and treats one as a refusal anyway. Google's OAuth
endpoint answers `{"error": "invalid_grant", "error_description"}` instead.
"""

from __future__ import annotations

import re
from typing import Any

from adly_campaigns.domain.ports import ErrorKind, PlatformError

# OAUTH_TOKEN_EXPIRED is left out on purpose: an access token ADLY refreshes ahead of its
# hour still expired (a clock skew); the next attempt renews it, the account is not lost.
TOKEN_REASONS = frozenset({"OAUTH_TOKEN_INVALID", "OAUTH_TOKEN_REVOKED", "OAUTH_TOKEN_DISABLED", "NOT_ADS_USER",
                           "OAUTH_TOKEN_HEADER_INVALID", "AUTHENTICATION_ERROR", "GOOGLE_ACCOUNT_DELETED",
                           "GOOGLE_ACCOUNT_COOKIE_INVALID", "USER_ID_INVALID", "TWO_STEP_VERIFICATION_NOT_ENROLLED",
                           "ADVANCED_PROTECTION_NOT_ENROLLED"})
POLICY_FAMILIES = frozenset({"policyFindingError", "policyViolationError", "policyValidationParameterError"})
TRANSIENT_FAMILIES = frozenset({"internalError", "databaseError"})
NOT_FOUND = {("mutateError", "RESOURCE_NOT_FOUND"), ("requestError", "RESOURCE_NAME_MISSING")}
WRAPPERS = frozenset({"operations", "mutate_operations", "create", "update", "remove"})
STATUS_KINDS = {"UNAUTHENTICATED": ErrorKind.TOKEN_INVALID, "PERMISSION_DENIED": ErrorKind.PERMISSION,
                "RESOURCE_EXHAUSTED": ErrorKind.THROTTLED, "NOT_FOUND": ErrorKind.NOT_FOUND,
                "UNAVAILABLE": ErrorKind.TRANSIENT, "INTERNAL": ErrorKind.TRANSIENT,
                "DEADLINE_EXCEEDED": ErrorKind.TRANSIENT, "ABORTED": ErrorKind.TRANSIENT}


def seconds(duration: Any) -> float | None:
    """A protobuf Duration in JSON ("30s", "1.5s") as seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", str(duration or ""))
    return float(match.group(1)) if match else None


def failure_of(error: Any) -> dict[str, Any] | None:
    """The GoogleAdsFailure among a status's details."""
    for detail in error.get("details") or [] if isinstance(error, dict) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("GoogleAdsFailure"):
            return detail
    return None


def field_path(error: dict[str, Any]) -> str | None:
    """The field at fault, without the request's wrappers: `operations[0].create.name` -> `name`."""
    location = error.get("location")
    elements = location.get("fieldPathElements") if isinstance(location, dict) else None
    names = [str(e.get("fieldName")) for e in elements or [] if isinstance(e, dict) and e.get("fieldName")]
    names = [n for n in names if n not in WRAPPERS and not n.endswith("_operation")]
    return ".".join(names) or None


def _reason(error: dict[str, Any]) -> tuple[str, str]:
    code = error.get("errorCode")
    if isinstance(code, dict) and code:
        family, reason = next(iter(code.items()))
        return str(family), str(reason)
    return "", ""


def _policy_note(error: dict[str, Any]) -> str | None:
    details = error.get("details") if isinstance(error.get("details"), dict) else {}
    finding = details.get("policyFindingDetails") if isinstance(details, dict) else None
    topics = [str(e.get("topic")) for e in (finding or {}).get("policyTopicEntries") or [] if isinstance(e, dict)]
    violation = details.get("policyViolationDetails") if isinstance(details, dict) else None
    if isinstance(violation, dict) and violation.get("externalPolicyName"):
        topics.append(str(violation["externalPolicyName"]))
    return ", ".join(t for t in topics if t and t != "None") or None


def _kind(family: str, reason: str, status: int, grpc: str) -> ErrorKind:
    if family == "quotaError":
        return ErrorKind.THROTTLED
    if family == "authenticationError":
        return ErrorKind.TRANSIENT if reason == "OAUTH_TOKEN_EXPIRED" else (
            ErrorKind.TOKEN_INVALID if reason in TOKEN_REASONS else ErrorKind.PERMISSION)
    if (family, reason) in NOT_FOUND:
        return ErrorKind.NOT_FOUND
    if family == "authorizationError":
        return ErrorKind.PERMISSION
    if family in POLICY_FAMILIES:
        return ErrorKind.POLICY
    if family in TRANSIENT_FAMILIES or status >= 500:
        return ErrorKind.TRANSIENT
    if not family:
        return STATUS_KINDS.get(grpc, ErrorKind.THROTTLED if status == 429 else ErrorKind.INVALID_PARAMETER)
    return ErrorKind.INVALID_PARAMETER


def classify(status: int, body: Any, default_wait: float) -> PlatformError:
    """The refusal in `body`: an HTTP error's `error`, or a 200's `partialFailureError`."""
    error = body.get("error") or body.get("partialFailureError") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return _bare(status, default_wait)
    grpc = str(error.get("status", ""))
    failure = failure_of(error)
    first = next((e for e in (failure or {}).get("errors") or [] if isinstance(e, dict)), {})
    family, reason = _reason(first)
    kind = _kind(family, reason, status, grpc)
    message = str(first.get("message") or error.get("message") or f"Google Ads refused the request ({status}).")
    retry_after = None
    if kind is ErrorKind.THROTTLED:
        quota = (first.get("details") or {}).get("quotaErrorDetails") if isinstance(first.get("details"), dict) else None
        retry_after = seconds((quota or {}).get("retryDelay")) or default_wait
        message = f"Google Ads is limiting requests ({message}); ADLY will try again in {retry_after:.0f} seconds."
    elif kind is ErrorKind.POLICY and (note := _policy_note(first)):
        message = f"{message} (Google Ads policy: {note})"
    elif kind is ErrorKind.TRANSIENT and reason == "OAUTH_TOKEN_EXPIRED":
        message = "The Google Ads access expired; ADLY renews it and tries again."
    return PlatformError(kind, message, code=family or grpc or str(status), subcode=reason or None,
                         field=field_path(first) if kind in (ErrorKind.INVALID_PARAMETER, ErrorKind.POLICY) else None,
                         retry_after=retry_after)


def oauth_error(status: int, body: Any) -> PlatformError:
    """Google's token endpoint: invalid_grant is a revoked or expired grant (connect again)."""
    code = str(body.get("error", "")) if isinstance(body, dict) else ""
    text = str(body.get("error_description") or code) if isinstance(body, dict) else ""
    if code == "invalid_grant":
        return PlatformError(ErrorKind.TOKEN_INVALID, f"Google refused the sign-in ({text}): connect the Google Ads "
                             "account again.", code=code)
    if code in ("invalid_client", "unauthorized_client"):
        return PlatformError(ErrorKind.PERMISSION, f"Google does not accept ADLY's OAuth client ({text}).", code=code)
    if status >= 500 or status == 429 or not code:
        return PlatformError(ErrorKind.TRANSIENT, f"Google's sign-in answered {status}; ADLY will try again.",
                             code=code or None)
    return PlatformError(ErrorKind.INVALID_PARAMETER, f"Google refused the sign-in request ({text}).", code=code)


def _bare(status: int, default_wait: float) -> PlatformError:
    if status == 401:
        return PlatformError(ErrorKind.TOKEN_INVALID, "Google no longer accepts this sign-in: connect the Google Ads "
                             "account again.", code="401")
    if status == 403:
        return PlatformError(ErrorKind.PERMISSION, "This Google sign-in may not use this Google Ads account.",
                             code="403")
    if status == 429:
        return PlatformError(ErrorKind.THROTTLED, "Google Ads is limiting requests; ADLY will try again.",
                             code="429", retry_after=default_wait)
    if status == 404:
        return PlatformError(ErrorKind.NOT_FOUND, "Google Ads does not know this object.", code="404")
    return PlatformError(ErrorKind.TRANSIENT, f"Google Ads answered {status} without saying why; ADLY will try "
                         "again.", code=str(status))
