"""Access-token and 2FA-proof verification against auth's JWKS (RFC 8725 hardening).

- Only `EdDSA`; `typ` must be `at+jwt` (or `2fa+jwt` for proofs); issuer, audience, `exp`,
  `nbf`, `iat`, `sub` required.
- `kid` must match `^[A-Za-z0-9_-]{1,64}$` before it is used as a dictionary key.
- `jku`, `x5u`, `jwk`, `x5c` headers are never read: keys come only from the configured JWKS.
- The JWKS is fetched once, then again only when a token names an unknown `kid`, and at most
  once every `jwks_refresh_min_seconds` (a flood of random kids cannot make us hammer auth).
- A token verified once is remembered (the last VERIFIED_TOKENS of them): a client sends the
  same one with every request, and verifying it again was a tenth of the gateway's CPU in a
  profile (PyJWT checks each base64 character in Python, and the header is read twice). A remembered token is still refused once
  its `exp` (with the leeway) has passed or the JWKS was fetched again; revocation is the
  read model's, checked per request either way.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from adly_kit.active_requests import waiting_elsewhere

log = logging.getLogger(__name__)

ALGORITHMS = ["EdDSA"]
KID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ACCESS_TYP = "at+jwt"
TWO_FACTOR_TYP = "2fa+jwt"
_FAILED_FETCH_RETRY_SECONDS = 2.0
VERIFIED_TOKENS = 10_000


class InvalidToken(Exception):
    """The token is not one we accept; the reason is for logs, never for the client."""


class JWKS:
    """The signing keys, by kid, refreshed on an unknown kid with a floor between fetches."""

    def __init__(self, url: str, client: httpx.AsyncClient, *, min_refresh_seconds: float, timeout: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.client = client
        self.min_refresh_seconds = min_refresh_seconds
        self.timeout = timeout
        self.clock = clock  # the floor's time; a test stands it still to count fetches inside one floor
        self.keys: dict[str, PyJWK] = {}
        self.fetches = 0
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> PyJWK | None:
        if kid in self.keys:
            return self.keys[kid]
        if self._may_fetch():  # waiting on auth: the request's slot is not held meanwhile (adly_kit.active_requests)
            async with waiting_elsewhere(), self._lock:
                if kid not in self.keys and self._may_fetch():
                    await self._fetch()
        return self.keys.get(kid)

    async def ready(self) -> bool:
        """Whether tokens can be verified: keys are held. Without any (auth was not reachable
        yet, or is not where the settings say), a probe asks again, within the same floors.
        Keys once held stay usable while auth is away: tokens are verified locally."""
        if not self.keys and self._may_fetch():
            async with self._lock:
                if not self.keys and self._may_fetch():
                    await self._fetch()
        return bool(self.keys)

    async def refresh(self) -> None:
        """Fetch now (at start-up); a token meeting an unknown kid meanwhile waits for this fetch."""
        async with self._lock:
            await self._fetch()

    def _may_fetch(self) -> bool:
        now = self.clock()
        if self._fetched_at is not None and now - self._fetched_at < self.min_refresh_seconds:
            return False
        if self._failed_at is not None and now - self._failed_at < _FAILED_FETCH_RETRY_SECONDS:
            return False
        return True

    async def _fetch(self) -> None:
        self.fetches += 1
        try:
            response = await self.client.get(self.url, timeout=self.timeout)
            response.raise_for_status()
            self.keys = _usable_keys(response.json())
            self._fetched_at, self._failed_at = self.clock(), None
            log.info("JWKS fetched", extra={"keys": len(self.keys)})
        except (httpx.HTTPError, ValueError, RecursionError) as error:
            self._failed_at = self.clock()
            log.warning("JWKS fetch failed: %s", type(error).__name__)


def _usable_keys(document: Any) -> dict[str, PyJWK]:
    keys: dict[str, PyJWK] = {}
    for entry in document.get("keys", []) if isinstance(document, dict) else []:
        kid = entry.get("kid") if isinstance(entry, dict) else None
        if not isinstance(kid, str) or not KID.match(kid):
            continue
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519" or entry.get("alg", "EdDSA") != "EdDSA":
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            keys[kid] = PyJWK(entry, algorithm="EdDSA")
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
    return keys


class TokenVerifier:
    def __init__(self, jwks: JWKS, *, issuer: str, audience: str, two_factor_audience: str, leeway: int) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.two_factor_audience = two_factor_audience
        self.leeway = leeway
        self._verified: OrderedDict[str, tuple[PyJWK, dict[str, Any]]] = OrderedDict()  # token -> (its key, claims)

    async def access_claims(self, token: str) -> dict[str, Any]:
        if (remembered := self._remembered(token)) is not None:
            return remembered
        key = await self._key_for(token, ACCESS_TYP)
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "nbf", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(type(error).__name__) from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise InvalidToken("sub")
        self._verified[token] = (key, claims)
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)
        return dict(claims)

    def _remembered(self, token: str) -> dict[str, Any] | None:
        """The claims of a token verified before, while its time and its key still hold."""
        found = self._verified.get(token)
        if found is None:
            return None
        key, claims = found
        # The very key object: a JWKS fetched again (a rotation) has new ones, and the token is verified anew.
        if self.jwks.keys.get(str(key.key_id)) is key and time.time() < claims["exp"] + self.leeway:
            self._verified.move_to_end(token)
            return dict(claims)
        del self._verified[token]
        return None

    async def two_factor_subject(self, token: str) -> str:
        """The `sub` of a valid 2FA proof (`typ=2fa+jwt`, `aud=adly-2fa`)."""
        key = await self._key_for(token, TWO_FACTOR_TYP)
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=ALGORITHMS,
                audience=self.two_factor_audience,
                leeway=self.leeway,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(type(error).__name__) from None
        if claims.get("iss", self.issuer) != self.issuer or not isinstance(claims.get("sub"), str):
            raise InvalidToken("iss")
        return claims["sub"]

    async def _key_for(self, token: str, typ: str) -> PyJWK:
        if token.count(".") != 2 or len(token) > 8192:
            raise InvalidToken("shape")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("header") from None
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken("alg")
        if header.get("typ") != typ:
            raise InvalidToken("typ")
        kid = header.get("kid")
        if not isinstance(kid, str) or not KID.match(kid):
            raise InvalidToken("kid")
        key = await self.jwks.key(kid)
        if key is None:
            raise InvalidToken("unknown kid")
        return key
