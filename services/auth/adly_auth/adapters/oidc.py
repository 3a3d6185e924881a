"""An OpenID Connect provider (authorization code + PKCE): discovery, code exchange and
id_token verification against the provider's JWKS (OIDC Core §3.1.3.7)."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from adly_auth.domain.ports import OidcError
from adly_kit.active_requests import waiting_elsewhere

ID_TOKEN_ALGORITHMS = ["RS256", "ES256"]
CACHE_SECONDS = 3600
MAX_RESPONSE_BYTES = 1_000_000


@dataclass(frozen=True)
class OidcConfig:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    timeout: float = 10.0


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class OidcProvider:
    def __init__(self, config: OidcConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.client = client or httpx.AsyncClient(timeout=config.timeout, follow_redirects=False)
        self._discovery: tuple[float, dict] | None = None
        self._jwks: tuple[float, jwt.PyJWKSet] | None = None

    async def close(self) -> None:
        await self.client.aclose()

    async def authorization_url(self, state: str, nonce: str, verifier: str) -> str:
        endpoint = (await self.discovery())["authorization_endpoint"]
        query = {
            "response_type": "code", "client_id": self.config.client_id, "redirect_uri": self.config.redirect_uri,
            "scope": "openid email profile", "state": state, "nonce": nonce,
            "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256",
        }
        return f"{endpoint}?{urlencode(query)}"

    async def exchange(self, code: str, verifier: str) -> str:
        """The id_token the token endpoint returns for this code."""
        endpoint = (await self.discovery())["token_endpoint"]
        async with waiting_elsewhere():  # the sign-in gives its turn up meanwhile (adly_kit.active_requests)
            response = await self.client.post(endpoint, data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": self.config.redirect_uri,
                "client_id": self.config.client_id, "client_secret": self.config.client_secret, "code_verifier": verifier,
            }, headers={"Accept": "application/json"})
        body = self._json(response)
        if not isinstance(body.get("id_token"), str):
            raise OidcError("the token endpoint returned no id_token")
        return body["id_token"]

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
            key = await self._key(str(header.get("kid")), header.get("alg"))
            claims = jwt.decode(
                id_token, key, algorithms=ID_TOKEN_ALGORITHMS, audience=self.config.client_id,
                issuer=self.config.issuer, options={"require": ["iss", "aud", "exp", "iat", "sub"]}, leeway=30,
            )
        except jwt.PyJWTError as error:
            raise OidcError(f"id_token rejected: {type(error).__name__}") from None
        if claims.get("nonce") != nonce:
            raise OidcError("id_token rejected: nonce")
        if isinstance(claims["aud"], list) and claims.get("azp") != self.config.client_id:
            raise OidcError("id_token rejected: azp")
        return claims

    async def discovery(self) -> dict:
        if self._discovery is None or self._discovery[0] < time.monotonic():
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with waiting_elsewhere():
                document = self._json(await self.client.get(url))
            if document.get("issuer") != self.config.issuer:
                raise OidcError("discovery document names another issuer")
            self._discovery = (time.monotonic() + CACHE_SECONDS, document)
        return self._discovery[1]

    async def _key(self, kid: str, alg: str | None):
        if alg not in ID_TOKEN_ALGORITHMS:
            raise OidcError(f"id_token rejected: algorithm {alg}")
        for refresh in (False, True):  # refetch the JWKS once when the kid is unknown (rotation)
            keys = await self._keyset(refresh)
            for key in keys.keys:
                if key.key_id == kid:
                    return key.key
        raise OidcError("id_token rejected: unknown kid")

    async def _keyset(self, refresh: bool) -> jwt.PyJWKSet:
        if refresh or self._jwks is None or self._jwks[0] < time.monotonic():
            uri = (await self.discovery())["jwks_uri"]
            async with waiting_elsewhere():
                document = self._json(await self.client.get(uri))
            self._jwks = (time.monotonic() + CACHE_SECONDS, jwt.PyJWKSet.from_dict(document))
        return self._jwks[1]

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        if response.status_code != 200 or len(response.content) > MAX_RESPONSE_BYTES:
            raise OidcError(f"provider answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise OidcError("provider answered with something other than JSON") from None
        if not isinstance(body, dict):
            raise OidcError("provider answered with something other than an object")
        return body
