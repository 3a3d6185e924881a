"""Graph API error bodies, classified into the port's `ErrorKind`.

Meta answers `{"error": {"message", "type", "code", "error_subcode", "error_user_title",
"error_user_msg", "fbtrace_id", "is_transient", "error_data": {"blame_field_specs":
[["targeting", "age_min"]]}}}`, mostly with HTTP 400 whatever the cause, so the class comes
from `code` (and a few subcodes), never from the HTTP status alone.
"""

from __future__ import annotations

import json
from typing import Any

from adly_campaigns.domain.ports import ErrorKind, PlatformError

TOKEN_CODES = frozenset({102, 190})                 # 190/458 app removed, 460 password changed, 463 expired...
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
NOT_FOUND_CODES = frozenset({803})
POLICY_CODES = frozenset({368})
OBJECT_MISSING_SUBCODE = 33                         # "(#100) Object with ID ... does not exist"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _blamed_field(error: dict[str, Any]) -> str | None:
    data = error.get("error_data")
    if isinstance(data, str):  # Meta sends error_data as a JSON string as often as an object
        try:
            data = json.loads(data)
        except ValueError:
            return None
    specs = data.get("blame_field_specs") if isinstance(data, dict) else None
    if isinstance(specs, list) and specs:
        first = specs[0]
        parts = first if isinstance(first, list) else [first]
        return ".".join(str(p) for p in parts) or None
    return None


def _kind(code: int | None, subcode: int | None, status: int, error: dict[str, Any]) -> ErrorKind:
    message = str(error.get("message", "")).lower()
    if code in TOKEN_CODES:
        return ErrorKind.TOKEN_INVALID
    if code in THROTTLE_CODES:
        return ErrorKind.THROTTLED
    if code == 10 or (code is not None and 200 <= code <= 299):
        return ErrorKind.PERMISSION
    if code in POLICY_CODES:
        return ErrorKind.POLICY
    if code in NOT_FOUND_CODES or (code == 100 and (subcode == OBJECT_MISSING_SUBCODE or "does not exist" in message)):
        return ErrorKind.NOT_FOUND
    if code == 100 and subcode == 1504018:  # an insights query that timed out: ask again (smaller or async)
        return ErrorKind.TRANSIENT
    if code in TRANSIENT_CODES or error.get("is_transient") is True or status >= 500:
        return ErrorKind.TRANSIENT
    return ErrorKind.INVALID_PARAMETER


def classify(status: int, body: Any, retry_after: float) -> PlatformError:
    """The refusal in `body` (or, without one, what the HTTP status says)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return _bare(status, retry_after)
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    kind = _kind(code, subcode, status, error)
    message = str(error.get("error_user_msg") or error.get("message") or f"Meta refused the request ({status}).")
    return PlatformError(kind, message, code=None if code is None else str(code),
                         subcode=None if subcode is None else str(subcode),
                         field=_blamed_field(error) if kind is ErrorKind.INVALID_PARAMETER else None,
                         retry_after=retry_after if kind is ErrorKind.THROTTLED else None)


def _bare(status: int, retry_after: float) -> PlatformError:
    if status == 429:
        return PlatformError(ErrorKind.THROTTLED, "Meta is limiting requests; ADLY will try again.",
                             retry_after=retry_after)
    if status == 404:
        return PlatformError(ErrorKind.NOT_FOUND, "Meta does not know this object any more.")
    return PlatformError(ErrorKind.TRANSIENT, f"Meta answered {status} without saying why; ADLY will try again.")
