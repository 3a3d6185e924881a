"""Wire-format helpers every platform client shares: money, times, signatures, attribution."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlsplit

from adly_catalog.domain.platform import PlatformError
from adly_events.contracts.catalog import UtmParameters
from adly_events.contracts.common import Money

# Query parameters ad platforms append to landing URLs (analytics joins orders on them).
CLICK_ID_PARAMETERS = ("fbclid", "gclid", "gbraid", "wbraid", "ttclid", "ScCid", "sccid", "msclkid", "twclid", "li_fat_id")


def money(amount: str | int | float | Decimal | None, currency: str) -> Money | None:
    """An exact amount: strings and ints as given; a float (Zid) through its shortest repr,
    so 19.99 stays 19.99 and never becomes 19.989999..."""
    if amount is None or amount == "":
        return None
    try:
        value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(str(amount))
    except InvalidOperation:
        raise PlatformError(f"not an amount: {amount!r}") from None
    if not value.is_finite():
        raise PlatformError(f"not an amount: {amount!r}")
    return Money(amount=value, currency=currency.upper())


def parse_time(value: str | None, *, assume_utc: bool = True) -> datetime | None:
    """ISO 8601 (with `Z`, an offset, or none: then UTC, as the `_gmt` fields are)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PlatformError(f"not a timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        if not assume_utc:
            raise PlatformError(f"timestamp without a zone: {value!r}")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def hmac_sha256(secret: str | bytes, message: bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).digest()


def signature_matches_base64(secret: str, body: bytes, header: str | None) -> bool:
    """Shopify and WooCommerce: base64(HMAC-SHA256(secret, raw body)), compared in constant time."""
    if not header or not secret:
        return False
    expected = base64.b64encode(hmac_sha256(secret, body)).decode()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def signature_matches_hex(secret: str, message: bytes, header: str | None) -> bool:
    """Salla webhooks and Shopify's OAuth callback: hex HMAC-SHA256, compared in constant time."""
    if not header or not secret:
        return False
    expected = hmac_sha256(secret, message).hex()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())


def url_signals(url: str | None) -> tuple[UtmParameters, dict[str, str]]:
    """UTM parameters and ad click ids found in a landing URL's query string."""
    if not url:
        return UtmParameters(), {}
    try:
        query = urlsplit(url if "://" in url or url.startswith("/") else f"/{url}").query
    except ValueError:
        return UtmParameters(), {}
    params = dict(parse_qsl(query, keep_blank_values=False))
    utm = UtmParameters(**{k: params.get(f"utm_{k}") for k in ("source", "medium", "campaign", "content", "term")})
    clicks = {name: params[name] for name in CLICK_ID_PARAMETERS if params.get(name)}
    return utm, clicks


def merge_utm(first: UtmParameters, second: UtmParameters) -> UtmParameters:
    """`first`'s values, with gaps filled from `second`."""
    return UtmParameters(**{k: getattr(first, k) or getattr(second, k) for k in UtmParameters.model_fields})
