"""Snapchat's refusals, classified into the port's `ErrorKind`.

A refused request answers an HTTP error status and `{"request_status": "ERROR", "request_id",
"debug_message", "display_message", "error_code": "E3003"}`; a write that names several
entities answers per entity (`sub_request_status`, `sub_request_error_reason`, "E2025: ...")
and may succeed for some and fail for others. The HTTP status carries the class (Snap
documents its statuses, not a table of E-codes), the message what the merchant can act on.
A 429 carries no header saying how long to wait, so `retry_after` is the client's default.
"""

from __future__ import annotations

import re
from typing import Any

from adly_campaigns.domain.ports import ErrorKind, PlatformError

# The API's field named in a refusal -> the field of ADLY's plan or ad the merchant edits.
FIELDS = {
    "daily_budget_micro": "budget.amount", "lifetime_budget_micro": "budget.amount", "headline": "headline",
    "brand_name": "brand_name", "targeting": "audience", "geos": "audience.countries",
    "languages": "audience.languages", "min_age": "audience.age_min", "max_age": "audience.age_max",
    "start_time": "starts_at", "end_time": "ends_at", "pixel_id": "pixel_id", "profile_id": "page_id",
    "web_view_properties": "link", "url": "link", "call_to_action": "call_to_action",
    "top_snap_media_id": "media", "name": "name",
}
_FIELD = re.compile(r"\b(" + "|".join(sorted(FIELDS, key=len, reverse=True)) + r")\b")
_CODE = re.compile(r"^\s*(E\d{3,5})\s*[:\-]?\s*")
NOT_FOUND_WORDS = ("not found", "does not exist", "can not be found", "cannot be found")
PERMISSION_WORDS = ("not authorized", "permission", "can be authorized", "forbidden")


def field_of(message: str) -> str | None:
    found = _FIELD.search(message)
    return FIELDS[found.group(1)] if found else None


def _text(body: Any, *keys: str) -> str:
    if not isinstance(body, dict):
        return ""
    return next((str(body[k]) for k in keys if body.get(k)), "")


def classify(status: int, body: Any, throttle_seconds: float) -> PlatformError:
    """A whole request refused with HTTP `status`."""
    code = _text(body, "error_code") or None
    debug = _text(body, "debug_message", "msg", "error_description")
    message = _text(body, "display_message") or debug
    if status == 401:
        return PlatformError(ErrorKind.TOKEN_INVALID, "Snapchat no longer accepts ADLY's access to this ad account: "
                             "reconnect it.", code=code or "401")
    if status == 429:
        return PlatformError(ErrorKind.THROTTLED, "Snapchat is limiting requests; ADLY will try again.",
                             code=code or "429", retry_after=throttle_seconds)
    if status == 403:
        return PlatformError(ErrorKind.PERMISSION, message or "This Snapchat login lacks a role on the ad account.",
                             code=code or "403")
    if status in (404, 410) or any(w in debug.lower() for w in NOT_FOUND_WORDS):
        return PlatformError(ErrorKind.NOT_FOUND, message or "Snapchat does not know this object any more.",
                             code=code or str(status))
    if status >= 500 or status < 400:
        return PlatformError(ErrorKind.TRANSIENT, f"Snapchat answered {status}; ADLY will try again.",
                             code=code or str(status))
    return PlatformError(ErrorKind.INVALID_PARAMETER, message or f"Snapchat refused the request ({status}).",
                         code=code or str(status), field=field_of(debug or message))


def sub_request_error(entry: dict[str, Any], what: str) -> PlatformError:
    """One entity of a write refused while the request as a whole may have succeeded."""
    reason = str(entry.get("sub_request_error_reason") or entry.get("debug_message") or "")
    matched = _CODE.match(reason)
    code = matched.group(1) if matched else None
    text = reason[matched.end():] if matched else reason
    lowered = text.lower()
    if any(w in lowered for w in NOT_FOUND_WORDS):
        kind = ErrorKind.NOT_FOUND
    elif any(w in lowered for w in PERMISSION_WORDS):
        kind = ErrorKind.PERMISSION
    else:
        kind = ErrorKind.INVALID_PARAMETER
    return PlatformError(kind, f"Snapchat refused the {what}: {text or 'no reason given'}", code=code,
                         field=field_of(text) if kind is ErrorKind.INVALID_PARAMETER else None)
