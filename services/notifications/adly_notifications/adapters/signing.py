"""Standard Webhooks signatures (https://www.standardwebhooks.com), made with the reference
`standardwebhooks` package so a receiver using any of its libraries verifies them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from standardwebhooks import Webhook


def signed_headers(webhook_id: UUID, body: bytes, secrets: Sequence[str], at: datetime) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature`: one `v1,<sig>` per
    secret, space-separated, so during a rotation's overlap either secret verifies."""
    at = at.astimezone(UTC)
    text = body.decode()
    signatures = " ".join(Webhook(secret).sign(str(webhook_id), at, text) for secret in secrets)
    return {
        "webhook-id": str(webhook_id),
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
