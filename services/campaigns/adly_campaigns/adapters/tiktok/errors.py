"""TikTok's refusals, classified into the port's `ErrorKind`.

TikTok answers almost everything with HTTP 200 and the envelope `{"code", "message",
"request_id", "data"}`; a non-zero `code` is the refusal, and the HTTP status only speaks
when the request never reached the API (a wrong path, a missing trailing slash: 404; a
server fault: 5xx). There are no rate-limit headers and no Retry-After.

The codes are those of TikTok's return-code appendix (docs id 1737172488964097), as a public
copy of it lists them (api-evangelist/tiktok-ads errors/tiktok-ads-error-codes.yml, 72
codes) ~; a code not listed falls back by range: 5xxxx and the "retry may resolve this"
ones are transient, other 4xxxx the merchant's parameter. 40300/40301 (the advertiser is
gone or does not match) are a lost connection the merchant fixes by connecting again.
"""

from __future__ import annotations

import re

from adly_campaigns.domain.ports import ErrorKind, PlatformError

OK, PARTIAL = 0, 20001
PERMISSIONS = frozenset({40001, 40113, 40118, 40119, 40125, 41000})
NOT_FOUND = frozenset({40007, 40053, 40905})
DUPLICATE, NAME_TAKEN = 40050, 40911
THROTTLES = frozenset({40100, 40016, 40133, 40132})
TOKENS = frozenset({40102, 40104, 40105, 40106, 40300, 40301})
POLICIES = frozenset({40065})
AGAIN = frozenset({40050, 40201, 40202, 40901, 40902, 40903, 40913, 60001})   # "retry may resolve this"
BAD_AUTH_CODE = 40110
POLICY_WORDS = ("policy", "policies", "prohibited", "violat")
_FIELD = re.compile(r"(?:field\(s\)|field|param(?:eter)?)[:\s]+`?([a-z_][a-z0-9_.]*)`?", re.IGNORECASE)
_LEADING_FIELD = re.compile(r"^([a-z_][a-z0-9_.\[\]]*)\s*:", re.IGNORECASE)

MESSAGES = {
    ErrorKind.TOKEN_INVALID: "TikTok no longer accepts ADLY's access to this ad account; connect TikTok again.",
    ErrorKind.PERMISSION: "This TikTok ad account did not give ADLY the permission this needs; connect it again "
                          "and allow every permission ADLY asks for.",
    ErrorKind.THROTTLED: "TikTok is limiting requests; ADLY will try again shortly.",
    ErrorKind.TRANSIENT: "TikTok had a problem; ADLY will try again.",
    ErrorKind.NOT_FOUND: "TikTok does not know this object any more.",
}


def field_of(message: str) -> str | None:
    found = _FIELD.search(message) or _LEADING_FIELD.search(message)
    return found.group(1).rstrip(".") if found else None


def kind_of(code: int, message: str) -> ErrorKind:
    if code in TOKENS:
        return ErrorKind.TOKEN_INVALID
    if code in THROTTLES:
        return ErrorKind.THROTTLED
    if code in PERMISSIONS:
        return ErrorKind.PERMISSION
    if code in NOT_FOUND:
        return ErrorKind.NOT_FOUND
    if code in AGAIN or code >= 50000:
        return ErrorKind.TRANSIENT
    if code in POLICIES or any(word in message.lower() for word in POLICY_WORDS):
        return ErrorKind.POLICY
    return ErrorKind.INVALID_PARAMETER


def classify(code: int, message: str, retry_after: float | None = None) -> PlatformError:
    """The refusal an envelope with a non-zero `code` carries."""
    kind = kind_of(code, message)
    if code == BAD_AUTH_CODE:
        text = "The TikTok authorization expired or was already used; connect TikTok again."
    elif kind is ErrorKind.INVALID_PARAMETER or kind is ErrorKind.POLICY:
        text = message or "TikTok refused the request."
    else:
        text = MESSAGES[kind] + (f" ({message})" if message else "")
    return PlatformError(kind, text, code=str(code),
                         field=field_of(message) if kind is ErrorKind.INVALID_PARAMETER else None,
                         retry_after=retry_after if kind is ErrorKind.THROTTLED else None)


def http_refusal(status: int) -> PlatformError:
    """An answer without TikTok's envelope: the request never reached the API."""
    if status == 429:
        return PlatformError(ErrorKind.THROTTLED, MESSAGES[ErrorKind.THROTTLED], code=f"http {status}")
    if status == 404:  # TikTok's paths end with "/": without it the gateway answers "page not found"
        return PlatformError(ErrorKind.INVALID_PARAMETER, "TikTok does not know this address (HTTP 404); "
                             "ADLY's TikTok settings need fixing.", code="http 404")
    if status in (401, 403):
        return PlatformError(ErrorKind.TOKEN_INVALID, MESSAGES[ErrorKind.TOKEN_INVALID], code=f"http {status}")
    return PlatformError(ErrorKind.TRANSIENT, f"TikTok answered HTTP {status} without saying why; "
                         "ADLY will try again.", code=f"http {status}")
