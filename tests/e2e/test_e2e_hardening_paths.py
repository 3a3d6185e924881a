"""Every spelling of every route's path gets that route's policy, or a refusal (issue 9).

`POST /v1/auth/../auth/login` used to be matched as the public `/v1/auth` catch-all (no login
rate limit) and forwarded raw; httpx removed the dot segments, so auth served the login. The
gateway now refuses any path not in canonical form (dot segments, backslashes, empty segments,
however encoded) before any rule is asked about it.

The spellings are generated from the gateway's own route table, for every rule:

- the non-canonical ones (dot segments at every depth, in every encoding, and backslashes and
  empty segments) must all be refused with 400, and none may reach a service;
- the canonical ones that differ only by percent-encoding (`/v1/%61uth/login`) are the same
  path to the gateway and to the service, and must get exactly the canonical spelling's answer.

Then the attacks the probe found, on real auth: the right password through a dot-segment path
of an account that is rate-limited gets no tokens; password-reset mail cannot be flooded past
its limit; `PATCH /v1/auth/../workspaces/{id}` renames nothing.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import InvalidStatus

from adly_gateway.domain.routes import ROUTES, Access, Route
from tests.e2e.conftest import (
    PASSWORD,
    People,
    Person,
    Recorder,
    ServiceProcess,
    Stack,
    eventually,
    extra_gateway,
    raw,
)

NON_CANONICAL = "https://docs.adly.dev/problems/non-canonical-path"
# Up one segment and back down, at each depth: `/v1/auth/../auth/login`.
PARENT = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%2E.", ".%2E", "%252e%252e", "%252E%252e", "..;", "%2e%2e;x",
          "%25252e%25252e"]
# A segment that names the one before it: `/v1/./auth/login`.
CURRENT = [".", "%2e", "%2E", "%252e", ".;x"]
EMPTY = ["", "%2f", "%2F", "%252f"]                 # `/v1//auth/login`, `/v1/%2f/auth/login`
BACKSLASH = ["\\", "%5c", "%5C", "%255c"]           # a separator to some servers


def spellings_refused(path: str) -> Iterator[str]:
    """Non-canonical spellings of `path` (itself canonical)."""
    segments = path.strip("/").split("/")
    for depth in range(1, len(segments) + 1):
        head, tail = segments[:depth], segments[depth:]
        for up in PARENT:
            yield "/" + "/".join([*head, up, head[-1], *tail])
        for here in CURRENT:
            yield "/" + "/".join([*head, here, *tail])
        if tail:
            for empty in EMPTY:
                yield "/" + "/".join([*head, empty, *tail])
            for slash in BACKSLASH:
                yield "/" + "/".join(head) + slash + "/".join(tail)
                yield "/" + "/".join(head) + f"{slash}..{slash}" + "/".join([head[-1], *tail])
    for last in PARENT + CURRENT:
        yield f"{path}/{last}"


def spelling_encoded(path: str) -> str:
    """The same path with the first letter of every fixed segment percent-encoded."""
    return "/".join(f"%{ord(s[0]):02X}{s[1:]}" if s[:1].isalpha() else s for s in path.split("/"))


def ids(template: str, workspace: str) -> str:
    names = {"workspace_id": workspace, "user_id": str(uuid.uuid4()), "key_id": str(uuid.uuid4()),
             "store_id": str(uuid.uuid4()), "account_id": str(uuid.uuid4()), "token": secrets.token_urlsafe(16)}
    for name, value in names.items():
        template = template.replace("{" + name + "}", value)
    return template


def label(route: Route) -> str:
    return f"{','.join(sorted(route.methods))} {route.template}"


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    with Recorder() as upstream:
        yield upstream


@pytest.fixture(scope="module")
def gateway(e2e: Stack, recorder: Recorder) -> Iterator[ServiceProcess]:
    """Login and password-reset limits on (the stack's gateway has them out of reach); every
    upstream but auth and the catalog is the recorder, which notices any request reaching it."""
    gateway = extra_gateway(e2e, "paths", ADLY_RATE_LIMIT_LOGIN="3/3600", ADLY_RATE_LIMIT_PASSWORD_RESET="2/3600",
                            **{f"ADLY_UPSTREAM_{name}": recorder.url
                               for name in ("CAMPAIGNS", "CREATIVE", "ANALYTICS", "NOTIFICATIONS")})
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture(scope="module")
def http(gateway: ServiceProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30.0, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="module")
def analyst(e2e: Stack, people: People) -> tuple[Person, str]:
    """An analyst of a workspace of the owner's: reads, and is refused every write by the gateway's policy."""
    workspace = e2e.create_workspace(people.owner)
    person = e2e.signup(prefix="analyst")
    e2e.add_members(workspace, people.owner, [(person, "analyst")])
    return person, workspace


def test_every_non_canonical_spelling_of_every_route_is_refused_before_any_service(http, recorder, analyst):
    person, workspace = analyst
    before, checked = len(recorder.seen), 0
    for route in ROUTES:
        path = ids(route.template, workspace)
        methods = sorted(route.methods)
        for spelling in spellings_refused(path):
            # Every method on the `..` spellings, one method on the rest: the path decides, not the method.
            for method in (methods if "/../" in spelling else methods[:1]):
                response = raw(http, method, spelling, headers=person.bearer | {"Idempotency-Key": "k"}, json={})
                assert response.status_code == 400, (label(route), method, spelling, response.status_code, response.text)
                if method != "HEAD":
                    assert response.json()["type"] == NON_CANONICAL, (spelling, response.text)
                assert response.headers["content-type"].startswith("application/problem+json")
                checked += 1
    assert checked > 5000
    # (The gateway fetches the recorder's /openapi.json on its own, to merge the API document.)
    reached = [seen for seen in recorder.seen[before:] if seen["path"] != "/openapi.json"]
    assert reached == [], "a refused spelling reached a service"


def test_a_percent_encoded_spelling_gets_exactly_the_canonical_answer(http, analyst):
    """The same policy whatever the spelling: each rule once, as the analyst (refused by the
    gateway's own rules where the role falls short) or, for people's credential routes,
    anonymously; with bodies that change nothing."""
    person, workspace = analyst
    for route in ROUTES:
        path = ids(route.template, workspace)
        method = "GET" if "GET" in route.methods else sorted(route.methods)[0]
        # Anonymous on public routes (their per-account limits would count the analyst's calls
        # and change the answer between the two spellings) and on people's credential routes.
        anonymous = route.access is Access.PUBLIC or (route.access is Access.USER and method != "GET")
        who = {} if anonymous else person.bearer
        canonical = raw(http, method, path, headers=who, json={})
        encoded = raw(http, method, spelling_encoded(path), headers=who, json={})
        assert spelling_encoded(path) != path
        assert encoded.status_code == canonical.status_code, (label(route), encoded.text, canonical.text)
        if canonical.headers.get("content-type", "").startswith("application/problem+json"):
            assert encoded.json().get("title") == canonical.json().get("title"), (label(route), encoded.text)


def test_a_rate_limited_account_gets_no_tokens_through_any_spelling_of_login(http, e2e: Stack):
    person = e2e.signup(prefix="limited")
    credentials = {"email": person.email, "password": PASSWORD}
    for _ in range(3):  # the account's whole login quota, spent on wrong passwords
        wrong = raw(http, "POST", "/v1/auth/login", json={"email": person.email, "password": "wrong password"})
        assert wrong.status_code == 401, wrong.text
    for spelling in spellings_refused("/v1/auth/login"):
        response = raw(http, "POST", spelling, json=credentials)
        assert response.status_code == 400, (spelling, response.status_code, response.text)
    for spelling in (spelling_encoded("/v1/auth/login"), "/v1/auth/login"):
        response = raw(http, "POST", spelling, json=credentials)
        assert response.status_code == 429, (spelling, response.status_code, response.text)
    # Nor by having the body read another way: without a Content-Type, or as any +json type,
    # the service reads it as JSON, and so does the limit.
    body = httpx.Request("POST", "/", json=credentials).content
    for headers in ({}, {"content-type": "application/vnd.adly+json"}, {"content-type": "Application/JSON; charset=utf-8"}):
        response = raw(http, "POST", "/v1/auth/login", content=body, headers=headers)
        assert response.status_code == 429, (headers, response.text)
    # Or as another type, or not at all: refused by the gateway, never a way around the limit.
    for headers, content in (({"content-type": "multipart/form-data; boundary=b"}, body),
                             ({"content-type": "application/json"}, b'{"email": ' + b"[" * 100_000)):
        response = raw(http, "POST", "/v1/auth/login", content=content, headers=headers)
        assert response.status_code in (400, 415, 429) and "access_token" not in response.text, response.text


def reset_mails(e2e: Stack, email: str) -> int:
    return sum("/reset-password?" in m.get_payload(decode=True).decode() for m in e2e.inbox.to(email))


def reset_tokens(e2e: Stack, user_id: str) -> int:
    """Reset links auth issued the person: each is written by the request that mails it."""
    async def count() -> int:
        conn = await asyncpg.connect(e2e.database_url)
        try:
            return await conn.fetchval("SELECT count(*) FROM auth.one_time_tokens WHERE user_id = $1 "
                                       "AND purpose = 'reset_password'", uuid.UUID(user_id))
        finally:
            await conn.close()

    return asyncio.run(count())


def test_password_reset_mail_cannot_be_flooded_past_its_limit(http, e2e: Stack):
    person = e2e.signup(prefix="reset")
    for _ in range(2):  # the account's whole password-reset quota
        assert raw(http, "POST", "/v1/auth/password/forgot", json={"email": person.email}).status_code == 202
    for spelling in spellings_refused("/v1/auth/password/forgot"):
        assert raw(http, "POST", spelling, json={"email": person.email}).status_code == 400, spelling
    for spelling in (spelling_encoded("/v1/auth/password/forgot"), "/v1/auth/password/forgot"):
        assert raw(http, "POST", spelling, json={"email": person.email}).status_code == 429, spelling
    assert reset_tokens(e2e, person.user_id) == 2
    assert eventually(lambda: reset_mails(e2e, person.email) >= 2), "the two reset mails never came"


def test_a_workspace_is_not_renamed_through_the_auth_catch_all(http, e2e: Stack, people: People, analyst):
    person, workspace = analyst
    name = e2e.request("GET", f"/v1/workspaces/{workspace}", who=people.owner).json()["name"]
    for who in (people.owner, person, people.outsider):
        for spelling in (f"/v1/auth/../workspaces/{workspace}", f"/v1/auth/%2e%2e/workspaces/{workspace}",
                         f"/v1/auth/..%2fworkspaces/{workspace}", f"/v1/auth/%252e%252e/workspaces/{workspace}"):
            response = raw(http, "PATCH", spelling, headers=who.bearer, json={"name": "Renamed by a trick"})
            assert response.status_code == 400, (spelling, response.text)
    assert e2e.request("GET", f"/v1/workspaces/{workspace}", who=people.owner).json()["name"] == name
    # The canonical path keeps the gateway's rule: the analyst may not rename.
    refused = raw(http, "PATCH", f"/v1/workspaces/{workspace}", headers=person.bearer, json={"name": "Renamed"})
    assert refused.status_code == 403


def test_the_live_socket_takes_no_other_spelling_either(gateway: ServiceProcess, analyst):
    _, workspace = analyst
    base = gateway.url.replace("http://", "ws://")
    for spelling in (f"/v1/workspaces/{workspace}/x/../live", f"/v1/workspaces/{workspace}/%2e/live"):
        with pytest.raises(InvalidStatus) as refused:
            ws_client.connect(base + spelling, open_timeout=10).close()
        assert refused.value.response.status_code == 403
