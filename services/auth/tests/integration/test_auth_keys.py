"""Signing keys: JWKS, access-token shape, rotation with an overlap window."""

import asyncio

import jwt

from adly_auth.entrypoints.commands import rotate_keys


async def jwks(auth) -> dict:
    return {key["kid"]: key for key in (await auth.client.get("/.well-known/jwks.json")).json()["keys"]}


def verify(token: str, keys: dict) -> dict:
    kid = jwt.get_unverified_header(token)["kid"]
    if kid not in keys:
        raise jwt.InvalidKeyError(kid)
    return jwt.decode(token, jwt.PyJWK(keys[kid]).key, algorithms=["EdDSA"], audience="adly-api", issuer="adly-auth")


async def test_access_tokens_follow_the_contract(auth):
    person = await auth.signup()
    header = jwt.get_unverified_header(person.access_token)
    assert header["alg"] == "EdDSA" and header["typ"] == "at+jwt"
    claims = verify(person.access_token, await jwks(auth))
    assert {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "sid"} <= claims.keys()
    assert all("d" not in key for key in (await jwks(auth)).values())


async def test_rotation_keeps_the_old_key_for_the_overlap_window_only(auth):
    person = await auth.signup()
    old_kid = jwt.get_unverified_header(person.access_token)["kid"]
    await rotate_keys(auth.runtime.adapters, [])
    keys = await jwks(auth)
    assert old_kid in keys and len(keys) == 2
    verify(person.access_token, keys)  # the old token still verifies within the window
    fresh = await auth.client.post("/v1/auth/login", json={"email": person.email, "password": auth.password})
    assert jwt.get_unverified_header(fresh.json()["access_token"])["kid"] != old_kid
    await asyncio.sleep(auth.settings.signing_key_overlap_seconds + 0.5)
    assert old_kid not in await jwks(auth)
