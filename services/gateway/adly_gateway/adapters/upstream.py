"""The HTTP client of the upstream services: one pooled aiohttp session, timeouts, no redirects followed.

aiohttp rather than httpx here: httpcore's pool polls the socket of every connection it keeps on
each request (encode/httpcore#928), which with the 16+ connections of a loaded gateway was a
tenth of the upstream call's CPU; aiohttp's connector hands out an idle connection without that.
(docs/benchmarks.md, issue 16, has the profile and the before/after figures.)
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict
from yarl import URL

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
# aiohttp would add these when the request lacks them; a proxy sends what the client sent (the
# gateway's forwarded headers) and nothing else: no invented User-Agent, Accept or Content-Type.
_NO_AUTO_HEADERS = frozenset({"User-Agent", "Accept", "Accept-Encoding", "Content-Type"})


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


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


# Shorter than the upstreams' own keep-alive (uvicorn closes an idle connection after 5 s):
# the gateway drops an idle connection before the upstream does, so a request is not written
# into one the upstream is closing at that moment, which would leave its outcome unknown.
KEEPALIVE_EXPIRY_SECONDS = 4.0


def make_session(*, timeout: float, connect_timeout: float, max_connections: int) -> aiohttp.ClientSession:
    """`connect_timeout` covers waiting for a pooled connection and opening a new one (aiohttp's
    `connect`); `timeout` bounds each read of the answer, as httpx's read timeout did."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max_connections, limit_per_host=0,
                                       keepalive_timeout=KEEPALIVE_EXPIRY_SECONDS),
        timeout=aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_connect=connect_timeout,
                                      sock_read=timeout),
        # Set-Cookie of one caller's answer must never ride along with another caller's request.
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=_NO_AUTO_HEADERS,
        trust_env=False,
    )
    # aiohttp sends a PUT, DELETE or GET whose connection dropped once more, on a new connection.
    # The first may have reached the service, and if the second cannot connect the error would
    # say "never sent": the caller must learn the outcome is unknown, and decide to retry itself.
    # No public switch exists; aiohttp's own test client turns it off the same way (pinned).
    session._retry_connection = False
    return session


class Upstreams:
    def __init__(self, session: aiohttp.ClientSession, urls: dict[str, str]) -> None:
        self.session = session
        self.urls = urls

    async def send(
        self, upstream: str, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
    ) -> UpstreamResponse:
        # `encoded=True`: the path goes out exactly as the client wrote it and the route table
        # matched it (docs of domain/paths.py), never re-quoted or normalised on the way.
        url = URL(f"{self.urls[upstream]}{path}" + (f"?{query}" if query else ""), encoded=True)
        try:
            async with self.session.request(method, url, headers=CIMultiDict(headers), data=body or None,
                                            allow_redirects=False) as response:
                content = await response.read()
                return UpstreamResponse(response.status, _kept_headers(response.raw_headers), content)
        except aiohttp.ConnectionTimeoutError as error:  # no connection in time: nothing was written
            raise UpstreamTimeout(upstream, sent=False) from error
        except TimeoutError as error:  # the answer did not come in time
            raise UpstreamTimeout(upstream, sent=True) from error
        except (aiohttp.ClientConnectorError, aiohttp.InvalidURL) as error:  # refused, unresolvable: never sent
            raise UpstreamUnavailable(upstream, sent=False) from error
        except aiohttp.ClientError as error:  # reset, closed before the answer, a malformed answer
            raise UpstreamUnavailable(upstream, sent=True) from error


def _kept_headers(raw: tuple[tuple[bytes, bytes], ...]) -> list[tuple[str, str]]:
    # Latin-1 both ways, as the ASGI server writes them: a header's bytes reach the client unchanged.
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
    return [(name, value) for name, value in headers if name.lower() not in _RESPONSE_DROP]
