"""The HTTP client of the upstream services: one pooled client, timeouts, no redirects followed."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

# RFC 9110 §7.6.1 hop-by-hop fields, plus what the gateway sets itself.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
     "transfer-encoding", "upgrade"}
)
_RESPONSE_DROP = HOP_BY_HOP | {
    "content-length", "content-encoding", "server", "date", "x-request-id", "x-adly-identity",
    "x-content-type-options", "x-frame-options", "x-xss-protection", "strict-transport-security",
    "content-security-policy", "referrer-policy", "access-control-allow-origin", "access-control-allow-credentials",
    "access-control-expose-headers", "ratelimit", "ratelimit-policy",
}


class UpstreamError(Exception):
    """The upstream gave no answer; `sent` says whether the request may have reached it.

    Only a failure to get a connection at all (refused, no connection within the connect or
    pool timeout) proves the request never left. Any later failure (a reset, a connection
    closed before the answer, a read timeout) leaves the outcome unknown: the upstream may
    have acted, and a retry must not be run as if it had not (docs/identity.md)."""

    def __init__(self, upstream: str, *, sent: bool) -> None:
        super().__init__(upstream)
        self.sent = sent


class UpstreamTimeout(UpstreamError):
    pass


class UpstreamUnavailable(UpstreamError):
    pass


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
             httpx.LocalProtocolError)


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


# Shorter than the upstreams' own keep-alive (uvicorn closes an idle connection after 5 s):
# the gateway drops an idle connection before the upstream does, so a request is not written
# into one the upstream is closing at that moment, which would leave its outcome unknown.
KEEPALIVE_EXPIRY_SECONDS = 4.0


def make_client(*, timeout: float, connect_timeout: float, max_connections: int, max_keepalive: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_keepalive,
                            keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS),
        follow_redirects=False,
        trust_env=False,
    )


class Upstreams:
    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str]) -> None:
        self.client = client
        self.urls = urls

    async def send(
        self, upstream: str, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
    ) -> UpstreamResponse:
        url = f"{self.urls[upstream]}{path}" + (f"?{query}" if query else "")
        try:
            response = await self.client.request(method, url, headers=headers, content=body or None)
        except httpx.TimeoutException as error:
            raise UpstreamTimeout(upstream, sent=not isinstance(error, _NOT_SENT)) from error
        except httpx.HTTPError as error:  # connection refused or reset, protocol errors
            raise UpstreamUnavailable(upstream, sent=not isinstance(error, _NOT_SENT)) from error
        kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _RESPONSE_DROP]
        return UpstreamResponse(response.status_code, kept, response.content)
