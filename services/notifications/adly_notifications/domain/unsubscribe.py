"""Signed one-click unsubscribe tokens: who (workspace, member) stops which mail (a kind of
domain/kinds.py, the digest's `digest.daily` among them), carried in the link of a mail and
in its `List-Unsubscribe` header (RFC 8058).

A token is `base64url(workspace 16 bytes | user 16 bytes | kind) . base64url(HMAC-SHA256)`.
It has no expiry on purpose: RFC 8058 asks that the link in a mail keep working as long as
the mail may be read, and a mail client may POST it long after the mail was sent. What the
token can do is small and idempotent (turn one kind of mail off for the member it names), and
rotating the key is how old links are withdrawn.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

from adly_kit.errors import InvalidInput

_PURPOSE = b"adly-notifications-unsubscribe-v1|"  # a key reused elsewhere signs nothing valid here


def unsubscribe_token(key: bytes, workspace_id: UUID, user_id: UUID, kind: str) -> str:
    payload = workspace_id.bytes + user_id.bytes + kind.encode()
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def read_unsubscribe_token(key: bytes, token: str) -> tuple[UUID, UUID, str]:
    """(workspace_id, user_id, kind) of a token we signed; anything else is refused."""
    try:
        encoded, _, signature = token.partition(".")
        payload = _unb64(encoded)
        if len(payload) <= 32 or not hmac.compare_digest(_unb64(signature), _mac(key, payload)):
            raise ValueError("not signed by us")
        return UUID(bytes=payload[:16]), UUID(bytes=payload[16:32]), payload[32:].decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("This unsubscribe link is not one we sent.", field="query/token",
                           code="invalid-token") from None


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _PURPOSE + payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("empty or not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
