"""One signed POST per attempt (docs/notifications.md#webhooks).

The host is resolved before each attempt and every address must be public (a name may
have moved to a private address since it was registered); the request then goes to the
address that was checked, not to a second lookup, so a name that answers differently the
next time cannot steer it inside (DNS rebinding). TLS still verifies the certificate
against the name (SNI). No redirects; a time limit on the whole attempt; at most
`webhook_max_response_bytes` of the answer is read, the rest is cut off.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import socket
import time
from collections.abc import Sequence
from uuid import UUID

import httpx

from adly_kit.sql import utc_now
from adly_notifications.adapters.signing import signed_headers
from adly_notifications.domain.webhooks import Address, Outcome, Target, excerpt, reachable
from adly_notifications.settings import NotificationsSettings

USER_AGENT = "ADLY-Webhooks/1"


class HttpWebhookSender:
    """`clients`: several small pools rather than one large one. httpx's pool does work per
    request in proportion to its connections (at 64 connections a request costs several times
    its CPU at 2), and a thousand deliveries a second spend most of their time there."""

    def __init__(self, clients: Sequence[httpx.AsyncClient], settings: NotificationsSettings) -> None:
        self.clients = itertools.cycle(clients)
        self.timeout = settings.webhook_timeout_seconds
        self.max_bytes = settings.webhook_max_response_bytes
        self.excerpt_chars = settings.webhook_excerpt_chars

    async def addresses(self, host: str) -> list[Address]:
        """Every address the name resolves to now; none if it does not resolve."""
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            return []
        return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in found))

    async def send(self, target: Target, webhook_id: UUID, body: bytes, secrets: Sequence[str]) -> Outcome:
        """One attempt, the name's lookup included, within `webhook_timeout_seconds`."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                return await self._attempt(target, webhook_id, body, secrets, started)
        except TimeoutError:
            return Outcome(None, _ms(started), error=f"timed out after {self.timeout:g} s")
        except httpx.HTTPError as error:
            return Outcome(None, _ms(started), error=f"{type(error).__name__}: {error}"[:300])

    async def _attempt(self, target: Target, webhook_id: UUID, body: bytes, secrets: Sequence[str],
                       started: float) -> Outcome:
        headers = signed_headers(webhook_id, body, secrets, utc_now()) | {
            "content-type": "application/json", "user-agent": USER_AGENT}
        url, extensions = httpx.URL(target.url), {}
        if not target.private_allowed:
            addresses = await self.addresses(target.host)
            if not reachable(target, addresses):
                why = "does not resolve" if not addresses else "resolves to a private address"
                return Outcome(None, _ms(started), error=f"refused: {target.host} {why}")
            url, extensions = _pinned(target, addresses[0], headers)
        status, answer = await self._post(url, body, headers, extensions)
        return Outcome(status, _ms(started), excerpt(answer, self.excerpt_chars))

    async def _post(self, url: httpx.URL, body: bytes, headers: dict[str, str],
                    extensions: dict[str, str]) -> tuple[int, bytes]:
        client = next(self.clients)
        request = client.build_request("POST", url, content=body, headers=headers, extensions=extensions)
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk[: self.max_bytes - size])
                size += len(chunk)
                if size >= self.max_bytes:
                    break  # the rest is never read: closing the response drops the connection
            return response.status_code, b"".join(chunks)
        finally:
            await response.aclose()


def _pinned(target: Target, address: Address, headers: dict[str, str]) -> tuple[httpx.URL, dict[str, str]]:
    """The URL with the checked address in place of the name, the name kept for Host and TLS."""
    url = httpx.URL(target.url)
    if url.host == str(address):
        return url, {}
    headers["host"] = url.netloc.decode()
    return url.copy_with(host=str(address)), {"sni_hostname": url.host}


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
