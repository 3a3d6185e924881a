"""No body makes the gateway answer 500 (issue 9): hostile bodies on every route, on real processes.

A body nested 100k deep used to give a 500 on any route: the gateway parsed every body for
the account of its rate limits and caught only ValueError (RecursionError escaped). Now it
reads bodies only on credential routes, and refuses there with a 400 problem what it cannot
read; everywhere else the body is the service's, which must refuse it with a 4xx too.

The hostile bodies: arrays and objects nested 100k deep (also inside a valid field), a number
of 5000 digits and one beyond a double, invalid UTF-8, lone surrogates, NaN and Infinity,
duplicate keys, and bodies of the wrong JSON type. Every route rule of the gateway's table is
sent each of them with every writing method; then the services behind the routes that read
bodies (auth, catalog, creative, here as processes) get them from a member allowed to call.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from adly_gateway.domain.routes import ROUTES, Access
from tests.e2e.conftest import People, Person, Recorder, ServiceProcess, Stack, creative_process, extra_gateway, raw
from tests.e2e.test_e2e_hardening_paths import ids, label

DEEP = 100_000
HOSTILE: dict[str, bytes] = {
    "arrays nested 100k deep": b"[" * DEEP + b"]" * DEEP,
    "objects nested 100k deep": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "deep inside a valid field": b'{"email": "a@example.com", "name": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    "unclosed nesting": b"[" * DEEP,
    "5000-digit number": b'{"email": "a@example.com", "name": ' + b"9" * 5000 + b"}",
    "number beyond a double": b'{"email": "a@example.com", "variants": 1e999999, "name": -1e999999}',
    "NaN and Infinity": b'{"email": NaN, "name": Infinity, "variants": -Infinity, "password": NaN}',
    "invalid UTF-8": b'{"email": "\xff\xfe@example.com", "name": "\xc0\xae"}',
    "lone surrogates": b'{"email": "\\ud800@example.com", "name": "\\udfff", "password": "\\ud83d"}',
    "duplicate keys": b'{"email": "a@example.com", "email": 5, "name": "x", "name": {"a": 1}}',
    "wrong JSON type": b'"just a string"',
    "null": b"null",
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def problem_or_service_answer(response: httpx.Response, context: object) -> None:
    assert response.status_code < 500, (context, response.status_code, response.text[:300])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        assert "error" in response.json(), (context, response.text)  # auth's OAuth token endpoint (RFC 6749)
    elif response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), (context, response.text[:300])


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    with Recorder() as upstream:
        yield upstream


@pytest.fixture(scope="module")
def creative(e2e: Stack) -> Iterator[ServiceProcess]:
    service = creative_process(e2e, e2e.gateway_url)
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def gateway(e2e: Stack, recorder: Recorder, creative: ServiceProcess) -> Iterator[ServiceProcess]:
    gateway = extra_gateway(e2e, "bodies", ADLY_UPSTREAM_CREATIVE=creative.url, ADLY_UPSTREAM_CAMPAIGNS=recorder.url,
                            ADLY_UPSTREAM_ANALYTICS=recorder.url)
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture(scope="module")
def http(gateway: ServiceProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=60.0, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="module")
def analyst(e2e: Stack, people: People) -> tuple[Person, str]:
    workspace = e2e.create_workspace(people.owner)
    person = e2e.signup(prefix="analyst")
    e2e.add_members(workspace, people.owner, [(person, "analyst")])
    return person, workspace


@pytest.fixture(scope="module")
def workspace(e2e: Stack, people: People) -> str:
    """The owner's workspace for the services' cases: hostile bodies must change nothing in it."""
    return e2e.create_workspace(people.owner)


@pytest.mark.parametrize("name", HOSTILE)
def test_no_route_answers_a_hostile_body_with_a_500(http, analyst, name):
    """Every rule, every writing method: as an analyst (the gateway's own policy decides most),
    anonymously where people's credentials are at stake (the gateway reads those bodies)."""
    person, workspace = analyst
    body = HOSTILE[name]
    for route in ROUTES:
        path = ids(route.template, workspace)
        anonymous = route.access in (Access.PUBLIC, Access.USER)
        for method in sorted(set(WRITES) & route.methods):
            response = raw(http, method, path, content=body,
                           headers={"content-type": "application/json"} | ({} if anonymous else person.bearer))
            problem_or_service_answer(response, (label(route), method, name))
            if route.rate_policy is not None and name not in ("duplicate keys", "wrong JSON type", "null"):
                # A credential route's body is read by the gateway, which refuses what it cannot read.
                unreadable = name not in ("NaN and Infinity", "number beyond a double", "lone surrogates")
                if unreadable:
                    assert response.status_code == 400, (label(route), name, response.text)
                    assert response.json()["title"] == "Request body cannot be read"


@pytest.mark.parametrize("name", HOSTILE)
def test_the_services_refuse_what_they_cannot_read_with_a_4xx_problem(http, e2e: Stack, people: People, workspace, name):
    """The bodies reach auth, the catalog and creative, from the owner (who may call each route)."""
    owner, body = people.owner, HOSTILE[name]
    proof = e2e.two_factor_token(owner)
    calls = [
        ("POST", "/v1/workspaces"), ("PATCH", f"/v1/workspaces/{workspace}"),
        ("POST", f"/v1/workspaces/{workspace}/invitations"), ("POST", f"/v1/workspaces/{workspace}/api-keys"),
        ("POST", f"/v1/workspaces/{workspace}/stores"), ("POST", f"/v1/workspaces/{workspace}/stores/connections"),
        ("POST", f"/v1/workspaces/{workspace}/creatives/jobs"), ("PUT", f"/v1/workspaces/{workspace}/brand-kit"),
        ("PUT", f"/v1/workspaces/{workspace}/creatives/settings"),
        ("POST", "/v1/auth/signup"), ("POST", "/v1/auth/login"), ("POST", "/v1/auth/password/forgot"),
        ("POST", "/v1/auth/2fa/confirm"), ("POST", "/v1/auth/oauth/token"),
    ]
    for method, path in calls:
        headers = owner.bearer | {"X-2FA-Token": proof, "content-type": "application/json"}
        response = raw(http, method, path, content=body, headers=headers)
        problem_or_service_answer(response, (method, path, name))
        assert 400 <= response.status_code < 500, (method, path, name, response.status_code, response.text[:300])
    # Form bodies on the token endpoint, which auth reads as a form.
    for form in (b"grant_type=client_credentials&client_id=\xff", b"client_id=" + b"%" * 10_000):
        response = raw(http, "POST", "/v1/auth/oauth/token", content=form,
                       headers={"content-type": "application/x-www-form-urlencoded"})
        assert 400 <= response.status_code < 500, (form[:40], response.text)
