"""Known shapes of secrets and personal data, masked wherever text leaves a process.

The first defence is not to log or record them at all; this is the net under it, for what
a library quotes back (an HTTP error naming the URL with WooCommerce's keys in its query,
a database error naming the duplicate email, a traceback's locals)."""

from __future__ import annotations

import re

MASK = "[redacted]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # A bearer credential, whatever follows it: a JWT, an API key, an opaque token.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {MASK}"),
    # Credentials in a query string or a form: `consumer_key=ck_…&consumer_secret=cs_…`.
    (re.compile(r"(?i)\b([a-z_]*(?:key|secret|token|password|signature|code|sig))=[^&\s\"'\\]+"), rf"\1={MASK}"),
    # The same in JSON or a dict's repr: `"password": "…"`.
    (re.compile(r"(?i)([\"']?[a-z_]*(?:key|secret|token|password|authorization)[\"']?\s*:\s*\\?[\"'])[^\"'\\]+"),
     rf"\1{MASK}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),  # a JWT anywhere
    (re.compile(r"\b(?:adly_sk|ck|cs)_[A-Za-z0-9_-]{16,}"), MASK),  # our API keys, WooCommerce's keys
    # Personal data: an email keeps its domain, which is what debugging needs.
    (re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.[A-Za-z0-9.-]+)"), r"***@\1"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
