"""Outbound webhooks without I/O: which endpoints are acceptable, the secret's shape, when a
failed delivery is tried again, when an endpoint is given up on, and what a delivery says
(docs/notifications.md#webhooks)."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from adly_kit.addresses import is_public_address
from adly_kit.errors import InvalidInput

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
JITTER = 0.2                 # each retry delay is moved by up to this fraction either way
MAX_URL_LENGTH = 2000

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


# ----------------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Target:
    """Where an endpoint's deliveries go, as read from its URL."""

    url: str
    host: str
    port: int
    private_allowed: bool   # a development/test host:port from ADLY_WEBHOOK_PRIVATE_HOSTS


@dataclass(frozen=True)
class Endpoint:
    id: UUID
    workspace_id: UUID
    url: str
    kinds: tuple[str, ...]          # empty: every kind
    description: str
    enabled: bool
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    created_at: datetime | None = None

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


def target_of(url: str, private_hosts: Collection[str]) -> Target:
    """The URL's target, or InvalidInput naming `url`: https only, except the allowed
    private host:port pairs; no credentials in it; an address written in it must be public."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url")
    try:
        parts = urlsplit(url.strip())
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        raise InvalidInput("This is not a URL.", field="url") from None
    if not host or parts.scheme not in ("http", "https"):
        raise InvalidInput("Give a full https:// URL.", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("Credentials in the URL are not accepted: verify our signature instead.", field="url")
    port = port or (443 if parts.scheme == "https" else 80)
    allowed = host_port(host, port) in {entry.lower() for entry in private_hosts}
    if parts.scheme != "https" and not allowed:
        raise InvalidInput("Webhooks are delivered over https only.", field="url")
    literal = address_in(host)
    if literal is not None and not allowed and not is_public_address(literal):
        raise InvalidInput(f"{host} is a private or reserved address: webhooks go to public addresses only.",
                           field="url")
    return Target(url.strip(), host, port, allowed)


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def address_in(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def reachable(target: Target, addresses: Sequence[Address]) -> bool:
    """Whether a delivery may go to these resolved addresses: every one public (a name with
    one private address among public ones could be steered there), unless allowed."""
    if target.private_allowed:
        return True
    return bool(addresses) and all(is_public_address(address) for address in addresses)


def chosen_kinds(kinds: Collection[str], known: Collection[str]) -> tuple[str, ...]:
    """The kinds an endpoint wants, each one known; none chosen means every kind."""
    unknown = sorted(set(kinds) - set(known))
    if unknown:
        raise InvalidInput(f"Unknown kinds: {', '.join(unknown)}.", field="kinds")
    return tuple(sorted(set(kinds)))


# ----------------------------------------------------------------------------- secrets


def new_secret(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """`whsec_` and 32 random bytes in base64, as Standard Webhooks libraries expect."""
    return SECRET_PREFIX + base64.b64encode(random_bytes(SECRET_BYTES)).decode()


def retiring_at(now: datetime, overlap_hours: float) -> datetime:
    """When a secret replaced now stops signing: receivers have the overlap to switch."""
    return now + timedelta(hours=overlap_hours)


# ----------------------------------------------------------------------------- deliveries


def delivery_body(kind: str, occurred_at: datetime, data: dict[str, Any]) -> bytes:
    """The body every attempt of a delivery sends, byte for byte the same."""
    payload = {"type": kind, "timestamp": occurred_at.isoformat(), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: a status when the receiver answered, else an error."""

    status: int | None
    latency_ms: int
    excerpt: str = ""
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def excerpt(answer: bytes, chars: int) -> str:
    return answer.decode("utf-8", errors="replace")[:chars]


def retry_delay(failures: int, delays: Sequence[float], random: Callable[[], float]) -> float | None:
    """Seconds until the next try after `failures` failed attempts (+-20 %), or None: the
    schedule is spent and the delivery has failed. `random` is in [0, 1)."""
    if failures < 1 or failures > len(delays):
        return None
    return float(delays[failures - 1]) * (1 + JITTER * (2 * random() - 1))


def should_disable(failing_since: datetime | None, now: datetime, after_hours: float) -> bool:
    """An endpoint with no success for `after_hours` while failing is given up on."""
    return failing_since is not None and now - failing_since >= timedelta(hours=after_hours)


# ----------------------------------------------------------------------------- the log


@dataclass(frozen=True)
class Attempt:
    attempted_at: datetime
    status: int | None
    latency_ms: int
    excerpt: str
    error: str | None


@dataclass(frozen=True)
class DeliveryLog:
    id: UUID
    webhook_id: UUID
    kind: str
    state: str                  # pending, waiting (endpoint disabled), delivered, failed
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    attempts: list[Attempt] = field(default_factory=list)
