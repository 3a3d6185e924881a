"""Schemathesis against the gateway's merged OpenAPI document, over real HTTP (RELIABILITY L1).

The document is the one the gateway serves at /openapi.json (its own routes plus the
public ones of auth, the catalog, creative and campaigns). Every operation gets up to
MAX_EXAMPLES generated requests, positive and negative (schema-violating) data mixed, and on
workspace routes half of them name the caller's real workspace (and its real draft campaign
and Meta ad account, on their routes) rather than a random id, so they reach the service and not only the
gateway's 404. Two callers: an owner with a bearer token (no 2FA proof: the sensitive
routes answer 403 and nothing is deleted), and nobody (anonymous).

Checks, and why these:
- `not_a_server_error`: no 5xx, ever (the gateway's 502/504 would count too).
- `response_schema_conformance`: every response whose status the document describes
  matches the documented schema.
- `content_type_conformance`: a documented status comes with a documented media type.
- `documented_or_problem_status` (ours): the status is one the operation documents, or an
  error status from the set every route may answer (400 401 403 404 405 409 413 422 429)
  with a problem+json body (or an OAuth error body on the token endpoint, RFC 6749 §5.2).
  The stock `status_code_conformance` is not run: neither the gateway nor auth lists its
  401/403/404/409/429 answers per operation, so it would only report that omission, on
  every operation; ours still catches an undocumented success status or a stray error.

Not fuzzed: the WebSocket `/v1/workspaces/{id}/live` (not an OpenAPI operation), the OIDC
callback (needs the state cookie of a real start), and for the signed-in caller `logout`
and `logout-everywhere`, which would end the very session the run uses.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from .conftest import Person, Stack, connect_meta, report

MAX_EXAMPLES = 20
BUDGET_SECONDS = 120.0  # per caller; the two runs stay under four minutes together
PROBLEM_STATUSES = frozenset({400, 401, 403, 404, 405, 409, 413, 422, 429})
NEVER = ("/v1/auth/oidc/{provider}/callback",)
NOT_WHILE_SIGNED_IN = ("/v1/auth/logout", "/v1/auth/logout-everywhere")


def _content_type(response) -> str:
    return (response.headers.get("content-type") or [""])[0]


@schemathesis.check
def documented_or_problem_status(ctx, response, case):
    """A documented status, or a common error status answered as problem+json (OAuth JSON on the token endpoint)."""
    status = response.status_code
    documented = {str(code) for code in case.operation.responses.status_codes}
    if str(status) in documented or f"{str(status)[0]}XX" in documented or "default" in documented:
        return None
    content_type = _content_type(response)
    if status in PROBLEM_STATUSES:
        if content_type.startswith("application/problem+json"):
            return None
        if case.operation.path == "/v1/auth/oauth/token" and status in (400, 401) and "error" in response.json():
            return None
    raise AssertionError(
        f"{case.operation.label}: status {status} ({content_type}) is neither documented ({sorted(documented)}) "
        f"nor a problem+json error"
    )


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, documented_or_problem_status]


@dataclass
class Outcome:
    operations: int = 0
    requests: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)


def fuzz(e2e: Stack, headers: dict[str, str], known: dict[str, str], excluded: tuple[str, ...]) -> Outcome:
    schema = schemathesis.openapi.from_url(f"{e2e.gateway_url}/openapi.json")
    outcome = Outcome()
    deadline = time.monotonic() + BUDGET_SECONDS
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in NEVER or operation.path in excluded:
            continue
        assert time.monotonic() < deadline, f"over the {BUDGET_SECONDS:.0f} s budget at {operation.label}"
        outcome.operations += 1
        strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
        real = {name: value for name, value in known.items() if f"{{{name}}}" in operation.path}
        if "workspace_id" in real:
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
        try:
            strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
        except Exception:  # noqa: BLE001 - an operation with nothing to negate
            pass

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(strategies))
        def run(case):
            response = case.call(base_url=e2e.gateway_url, headers=headers, timeout=15)
            outcome.requests += 1
            outcome.statuses[response.status_code] = outcome.statuses.get(response.status_code, 0) + 1
            case.validate_response(response, checks=CHECKS, headers=headers,
                                   transport_kwargs={"base_url": e2e.gateway_url, "headers": headers})

        try:
            run()
        except (AssertionError, FailureGroup, Exception) as error:  # noqa: BLE001 - collected, reported below
            outcome.failures[operation.label] = "".join(traceback.format_exception_only(error))[:3000]
    return outcome


def describe(who: str, outcome: Outcome) -> str:
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(outcome.statuses.items()))
    return f"schemathesis as {who}: {outcome.operations} operations, {outcome.requests} requests ({statuses})"


@pytest.fixture(scope="module")
def fuzzer(e2e: Stack) -> tuple[Person, str, str, str]:
    """A signed-up owner (2FA on) of a workspace with a Meta ad account and a draft campaign,
    used by this run alone (it may rename the workspace, invite, edit and archive the campaign)."""
    person = e2e.enable_two_factor(e2e.signup(prefix="fuzzer"))
    workspace_id = e2e.create_workspace(person, "fuzzed")
    account = connect_meta(e2e, person, workspace_id, e2e.meta.seed_account(name="Fuzzed", currency="SAR"))
    plan = {"objective": "traffic", "platforms": ["meta"], "audience": {"countries": ["SA"]},
            "budgets": [{"platform": "meta", "budget": {"kind": "daily", "amount": {"amount": "100", "currency": "SAR"}}}]}
    drafted = e2e.request("POST", f"/v1/workspaces/{workspace_id}/campaigns", who=person,
                          json={"name": "fuzzed", "plan": plan})
    assert drafted.status_code == 201, drafted.text
    return person, workspace_id, drafted.json()["id"], account["id"]


def test_the_gateway_api_holds_its_schema_for_a_signed_in_owner(e2e: Stack, fuzzer):
    person, workspace_id, campaign_id, account_id = fuzzer
    known = {"workspace_id": workspace_id, "campaign_id": campaign_id, "account_id": account_id}
    outcome = fuzz(e2e, person.bearer, known, NOT_WHILE_SIGNED_IN)
    report(describe("a signed-in owner", outcome))
    assert outcome.operations >= 25 and outcome.requests > 0
    assert not outcome.failures, "\n\n".join(f"== {op}\n{text}" for op, text in outcome.failures.items())
    assert e2e.request("GET", f"/v1/workspaces/{workspace_id}", who=person).status_code == 200, "the run lost its session"


def test_the_gateway_api_holds_its_schema_for_anonymous_callers(e2e: Stack):
    outcome = fuzz(e2e, {}, {}, ())
    report(describe("anonymous", outcome))
    assert outcome.operations >= 25 and outcome.requests > 0
    assert not outcome.failures, "\n\n".join(f"== {op}\n{text}" for op, text in outcome.failures.items())


# ------------------------------------------------- bugs the fuzzer found, kept fixed


def test_an_encoded_control_character_in_a_path_is_a_client_error(e2e: Stack, fuzzer):
    person, *_ = fuzzer
    for method, path, who in (("GET", "/v1/auth/oidc/%1C/start", None),
                              ("POST", "/v1/invitations/%1C/accept", person)):
        response = e2e.request(method, path, who=who)
        assert 400 <= response.status_code < 500, (method, path, response.status_code, response.text)


def test_validation_errors_are_sent_as_documented(e2e: Stack, fuzzer):
    person, workspace_id, *_ = fuzzer
    document = e2e.http.get("/openapi.json").json()
    for method, path, template, kwargs in (
        ("POST", "/v1/workspaces", "/v1/workspaces", {"json": {"name": ""}}),
        ("GET", f"/v1/workspaces/{workspace_id}/audit-log", "/v1/workspaces/{workspace_id}/audit-log",
         {"params": {"limit": -1}}),
    ):
        response = e2e.request(method, path, who=person, **kwargs)
        assert response.status_code == 422, response.text
        documented = document["paths"][template][method.lower()]["responses"]["422"].get("content", {})
        assert response.headers["content-type"].split(";")[0] in documented, (template, list(documented))


def test_accepted_answers_carry_what_they_document(e2e: Stack, fuzzer):
    person, *_ = fuzzer
    document = e2e.http.get("/openapi.json").json()
    for path, who, body in (("/v1/auth/password/forgot", None, {"email": person.email}),):
        response = e2e.request("POST", path, who=who, json=body)
        assert response.status_code == 202, response.text
        documented = document["paths"][path]["post"]["responses"]["202"]
        assert bool(documented.get("content")) == bool(response.content), (path, documented, response.content)
