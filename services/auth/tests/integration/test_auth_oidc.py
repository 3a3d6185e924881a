"""Sign-in with Google, against a local fake OpenID Connect provider."""

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa


async def start(auth) -> dict:
    response = await auth.client.get("/v1/auth/oidc/google/start")
    assert response.status_code == 302
    url = urlparse(response.headers["location"])
    assert url.netloc == urlparse(auth.oidc.issuer).netloc and url.path == "/authorize"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["code_challenge_method"] == "S256" and query["client_id"] == "adly-test-client"
    return query


async def callback(auth, query: dict, **claims):
    claims = {"nonce": query["nonce"]} | claims
    code = auth.oidc.grant(code_challenge=query["code_challenge"], **claims)
    return await auth.client.get("/v1/auth/oidc/google/callback", params={"code": code, "state": query["state"]})


async def test_a_new_google_user_signs_in_and_again_as_the_same_user(auth):
    first = await callback(auth, await start(auth), sub="g-new", email="New.Person@example.com")
    assert first.status_code == 200, first.text
    second = await callback(auth, await start(auth), sub="g-new", email="New.Person@example.com")
    users = {(t, p["method"]) for t, p in await auth.events() if t == "UserRegistered"}
    assert users == {("UserRegistered", "google")}
    assert second.json()["access_token"] != first.json()["access_token"]


async def test_a_verified_google_email_links_to_the_existing_account(auth):
    person = await auth.signup("linked@example.com")
    response = await callback(auth, await start(auth), sub="g-linked", email="linked@example.com")
    assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["sub"] == str(person.user_id)


async def test_an_unverified_google_email_is_refused_alike_whether_or_not_an_account_has_it(auth):
    await auth.signup("taken@example.com")
    answers = [await callback(auth, await start(auth), sub=f"g-{n}", email=email, email_verified=False)
               for n, email in enumerate(("taken@example.com", "free@example.com"))]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].json() == answers[1].json()
    assert "not verified" in answers[0].json()["detail"]
    registered = [p["method"] for t, p in await auth.events() if t == "UserRegistered"]
    assert registered == ["password"], "no account for the unverified address, none linked to the taken one"


@pytest.mark.parametrize("bad", [
    {"iss": "https://evil.example"},
    {"aud": "someone-else"},
    {"nonce": "not-the-nonce"},
    {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
    {"sign_with": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
])
async def test_a_bad_id_token_is_refused(auth, bad):
    response = await callback(auth, await start(auth), **bad)
    assert response.status_code == 401
    assert not [t for t, _ in await auth.events() if t == "UserRegistered"]


async def test_a_state_works_once_and_only_in_the_browser_that_started(auth):
    query = await start(auth)
    assert (await callback(auth, query)).status_code == 200
    assert (await callback(auth, query)).status_code in (401, 422)
    fresh = await start(auth)
    auth.client.cookies.clear()
    assert (await callback(auth, fresh)).status_code == 401
