"""What the catalog refuses, in the merchant's words (the kit answers each with problem+json).

The catalog's routes always answered with the sentence as the problem's `title`; these keep
it there (and in `detail`), so clients see the same bodies, now with a stable `code`.
"""

from __future__ import annotations

from adly_kit.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthenticated, UpstreamFailed


class _Sentence(DomainError):
    """An error whose sentence is also its title."""

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, field=field, code=code)
        self.title = message


class ConnectionRefused(_Sentence, Conflict):
    """The connection cannot go on; the message is what the merchant is told."""

    code = "connection-refused"


class StoreNotFound(_Sentence, NotFound):
    code = "store-not-found"


class SyncNotFound(_Sentence, NotFound):
    code = "sync-not-found"


class ItemNotFound(_Sentence, NotFound):
    code = "item-not-found"


class StoreDisconnected(_Sentence, Conflict):
    code = "store-disconnected"


class StoreRefusedCredentials(_Sentence, InvalidInput):
    """The store refused ADLY's credentials (keys revoked, app removed, a wrong key)."""

    code = "store-refused-credentials"
    status = 400


class PlatformRefused(_Sentence, InvalidInput):
    """The platform refused the request for a reason trying again will not change."""

    code = "platform-refused"
    status = 400


class PlatformFailed(_Sentence, UpstreamFailed):
    """The platform failed or could not be reached: trying later may work."""

    code = "platform-failed"


class KeysRefused(InvalidInput):
    """WooCommerce's key delivery could not be accepted."""

    code = "connection-refused"
    status = 400
    title = "Connection refused"


class WebhookUnsigned(Unauthenticated):
    code = "webhook-unsigned"
    title = "Webhook refused"


class WebhookRefused(InvalidInput):
    code = "webhook-refused"
    status = 400
    title = "Webhook refused"
