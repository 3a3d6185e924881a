"""Admission (adly_gateway.handlers.admission) on in-memory doubles: who gets in, with which role, how often."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime

import pytest

from adly_events.contracts.auth import (
    ApiKeyCreated,
    ApiKeyRevoked,
    MemberAdded,
    SessionRevoked,
    WorkspaceCreated,
    WorkspaceRole,
)
from adly_gateway.domain.refusals import (
    NothingHere,
    NotSignedIn,
    RoleForbids,
    TooManyRequests,
    TwoFactorRequired,
    UnreadableBody,
    UnsupportedBody,
)
from adly_gateway.handlers import read_model
from adly_gateway.handlers.admission import Caller, account_of
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import Gate, gate


def get(path: str, token: str | None = None, *, proof: str | None = None, method: str = "GET", ip: str = "10.0.0.1") -> Caller:
    return Caller(method, path, f"Bearer {token}" if token else None, proof, ip)


async def workspace_with(g: Gate, **members: str) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """A workspace fed through the read-model handlers, as auth's events would: name -> user id."""
    ws, owner = uuid.uuid4(), uuid.uuid4()
    await read_model.workspace_created(NO_DATABASE, g.read_model, ws, WorkspaceCreated(name="Acme", owner_id=owner))
    people = {"owner": owner}
    for name, role in members.items():
        people[name] = uuid.uuid4()
        event = MemberAdded(user_id=people[name], role=WorkspaceRole(role), invited_by=owner)
        await read_model.member_added(NO_DATABASE, g.read_model, ws, event)
    return ws, people


async def test_a_request_without_a_valid_token_is_refused_with_401_and_its_rate_headers():
    g = gate()
    for authorization in ("Bearer not-issued", "Basic dXNlcjpwYXNz", "Bearer "):
        with pytest.raises(NotSignedIn) as refused:
            await g.admitter.admit(Caller("GET", "/v1/auth/me", authorization, None, "10.0.0.1"))
        assert refused.value.status == 401
        assert refused.value.headers()["WWW-Authenticate"].startswith("Bearer")
        assert "RateLimit" in refused.value.headers() and "RateLimit-Policy" in refused.value.headers()


async def test_an_issued_token_is_admitted_as_its_user():
    g = gate()
    user = uuid.uuid4()
    admission = await g.admitter.admit(get("/v1/auth/me", g.tokens.issue(str(user), sid="s-1")))
    assert admission.principal is not None
    assert (admission.principal.kind, admission.principal.sub, admission.principal.sid) == ("user", str(user), "s-1")
    assert admission.match.route.upstream == "auth"
    assert '"default";q=1000000;w=60' in admission.rate_headers()["RateLimit-Policy"]


async def test_a_token_of_a_revoked_session_is_refused():
    g = gate()
    user, sid = uuid.uuid4(), uuid.uuid4()
    token = g.tokens.issue(str(user), sid=str(sid))
    await g.admitter.admit(get("/v1/auth/me", token))
    revoked = SessionRevoked(user_id=user, reason="logout")
    await read_model.session_revoked(NO_DATABASE, g.read_model, sid, datetime.now(UTC), revoked)
    with pytest.raises(NotSignedIn):
        await g.admitter.admit(get("/v1/auth/me", token))
    assert (await g.admitter.admit(get("/v1/auth/me", g.tokens.issue(str(user), sid="other")))).principal is not None


async def test_a_members_role_comes_from_the_read_model():
    g = gate()
    ws, people = await workspace_with(g, marketer="marketer", analyst="analyst")
    campaigns = f"/v1/workspaces/{ws}/campaigns"
    marketer = g.tokens.issue(str(people["marketer"]))
    admission = await g.admitter.admit(get(campaigns, marketer, method="POST"))
    assert (admission.workspace_id, admission.role) == (ws, "marketer")
    with pytest.raises(RoleForbids) as forbidden:
        await g.admitter.admit(get(campaigns, g.tokens.issue(str(people["analyst"])), method="POST"))
    assert forbidden.value.status == 403 and forbidden.value.detail == "Your role does not allow this."
    assert forbidden.value.principal is not None and forbidden.value.principal.sub == str(people["analyst"])


async def test_outsiders_and_unknown_workspaces_get_the_same_404():
    g = gate()
    ws, _ = await workspace_with(g)
    outsider = g.tokens.issue(str(uuid.uuid4()))
    refusals = []
    for target in (ws, uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(NothingHere) as refused:
            await g.admitter.admit(get(f"/v1/workspaces/{target}/members", outsider))
        refusals.append((refused.value.status, refused.value.title, refused.value.detail))
    assert set(refusals) == {(404, "Not Found", None)}


async def test_a_permission_needing_two_factor_asks_for_a_proof_of_the_same_person():
    g = gate()
    ws, people = await workspace_with(g, admin="admin", analyst="analyst")
    remove = f"/v1/workspaces/{ws}/members/{people['analyst']}"
    admin = g.tokens.issue(str(people["admin"]))
    with pytest.raises(TwoFactorRequired) as refused:
        await g.admitter.admit(get(remove, admin, method="DELETE"))
    assert refused.value.type.endswith("two-factor-required") and refused.value.status == 403
    with pytest.raises(TwoFactorRequired):
        await g.admitter.admit(get(remove, admin, method="DELETE", proof=g.tokens.prove(str(people["owner"]))))
    admitted = await g.admitter.admit(get(remove, admin, method="DELETE", proof=g.tokens.prove(str(people["admin"]))))
    assert admitted.principal is not None and admitted.principal.mfa


async def test_a_client_over_its_quota_is_refused_with_retry_after_until_the_clock_moves():
    g = gate(default="3/60")
    token = g.tokens.issue(str(uuid.uuid4()))
    for _ in range(3):
        await g.admitter.admit(get("/v1/auth/me", token))
    with pytest.raises(TooManyRequests) as limited:
        await g.admitter.admit(get("/v1/auth/me", token))
    assert limited.value.status == 429
    assert limited.value.headers()["Retry-After"] == "20"
    assert '"default";r=0' in limited.value.headers()["RateLimit"]
    other = g.tokens.issue(str(uuid.uuid4()))
    await g.admitter.admit(get("/v1/auth/me", other))  # another client has its own budget
    g.limiter.now += 20  # one emission interval: exactly one more request
    await g.admitter.admit(get("/v1/auth/me", token))
    with pytest.raises(TooManyRequests):
        await g.admitter.admit(get("/v1/auth/me", token))


async def test_login_is_limited_per_account_even_without_a_token():
    g = gate(login="2/300")
    body = b'{"email": "Someone@Example.com", "password": "x"}'
    assert account_of(body, "application/json", None) == "email:someone@example.com"
    for ip in ("10.0.0.1", "10.0.0.2"):
        await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, ip, body, "application/json"))
    with pytest.raises(TooManyRequests):
        await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, "10.0.0.3", body, "application/json"))


@pytest.mark.parametrize("content_type", [None, "application/json", "APPLICATION/JSON; charset=utf-8",
                                          "application/merge-patch+json"])
async def test_every_content_type_a_service_reads_as_json_names_the_same_account(content_type):
    """FastAPI reads a body as JSON without a type and for any +json: so does the limit."""
    g = gate(login="1/300")
    body = b'{"email": "same@example.com", "password": "x"}'
    await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, "10.0.0.1", body, "application/json"))
    with pytest.raises(TooManyRequests):
        await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, "10.0.0.2", body, content_type))


async def test_a_client_id_is_one_account_however_basic_encodes_it():
    g = gate(login="1/300")
    form = "application/x-www-form-urlencoded"
    for encoded in (b"key-1:secret", b"%6Bey-1:secret"):
        basic = "Basic " + base64.b64encode(encoded).decode()
        assert account_of(b"grant_type=client_credentials", form, basic) == "client_id:key-1"
    first = "Basic " + base64.b64encode(b"key-1:s").decode()
    await g.admitter.admit(Caller("POST", "/v1/auth/oauth/token", first, None, "10.0.0.1", b"grant_type=client_credentials", form))
    other = "Basic " + base64.b64encode(b"%6Bey-1:s").decode()
    with pytest.raises(TooManyRequests):
        await g.admitter.admit(Caller("POST", "/v1/auth/oauth/token", other, None, "10.0.0.2", b"grant_type=client_credentials", form))


UNREADABLE = {
    "nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "nested objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "nested in a field": b'{"email": "a@example.com", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "huge integer": b'{"email": "a@example.com", "n": ' + b"9" * 5000 + b"}",
    "invalid utf-8": b'{"email": "\xff\xfe@example.com"}',
    "truncated": b'{"email": ',
    "form of invalid utf-8": b"client_id=\xff",
}


@pytest.mark.parametrize("name", UNREADABLE)
async def test_a_credential_body_the_gateway_cannot_read_is_a_400_after_the_ip_limits(name):
    g = gate(login_ip="3/300")
    body = UNREADABLE[name]
    content_type = "application/x-www-form-urlencoded" if name.startswith("form") else "application/json"
    for _ in range(3):
        with pytest.raises(UnreadableBody) as refused:
            await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, "10.0.0.9", body, content_type))
        assert refused.value.status == 400
    with pytest.raises(TooManyRequests):  # still counted against the IP
        await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, "10.0.0.9", body, content_type))


async def test_a_credential_body_of_another_media_type_is_415_and_other_routes_never_read_bodies():
    g = gate()
    with pytest.raises(UnsupportedBody):
        await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, "10.0.0.1", b"--x\r\n", "multipart/form-data; boundary=x"))
    with pytest.raises(UnsupportedBody):
        await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, "10.0.0.1", b"email=a", "text/plain"))
    ws, people = await workspace_with(g)
    token = g.tokens.issue(str(people["owner"]))
    deep = UNREADABLE["nested arrays"]
    admission = await g.admitter.admit(Caller("POST", f"/v1/workspaces/{ws}/campaigns", f"Bearer {token}", None,
                                              "10.0.0.1", deep, "application/json"))
    assert admission.match.route.upstream == "campaigns"  # the body is the service's to judge


async def api_key(g: Gate, ws: uuid.UUID, role: str) -> tuple[uuid.UUID, str]:
    key_id = uuid.uuid4()
    key = f"adly_sk_{key_id}_{'A' * 43}"
    event = ApiKeyCreated(name="ci", role=WorkspaceRole(role), secret_sha256=hashlib.sha256(key.encode()).hexdigest(),
                          created_by=uuid.uuid4())
    await read_model.api_key_created(NO_DATABASE, g.read_model, key_id, ws, event)
    return key_id, key


async def test_an_api_key_acts_only_in_its_workspace_with_its_role():
    g = gate()
    ws, _ = await workspace_with(g)
    elsewhere, _ = await workspace_with(g)
    key_id, key = await api_key(g, ws, "marketer")
    admission = await g.admitter.admit(get(f"/v1/workspaces/{ws}/campaigns", key, method="POST"))
    assert admission.principal is not None and admission.principal.kind == "api_key"
    assert (admission.principal.sub, admission.role) == (f"apikey:{key_id}", "marketer")
    with pytest.raises(RoleForbids):
        await g.admitter.admit(get(f"/v1/workspaces/{ws}/api-keys", key))
    with pytest.raises(NothingHere):
        await g.admitter.admit(get(f"/v1/workspaces/{elsewhere}/campaigns", key))
    with pytest.raises(RoleForbids):  # creating a workspace is for people
        await g.admitter.admit(get("/v1/workspaces", key, method="POST"))


async def test_an_api_key_with_a_wrong_secret_or_revoked_is_refused():
    g = gate()
    ws, _ = await workspace_with(g)
    key_id, key = await api_key(g, ws, "analyst")
    with pytest.raises(NotSignedIn):
        await g.admitter.admit(get(f"/v1/workspaces/{ws}/campaigns", key[:-4] + "BBBB"))
    await read_model.api_key_revoked(NO_DATABASE, g.read_model, key_id, ApiKeyRevoked(revoked_by=None))
    with pytest.raises(NotSignedIn):
        await g.admitter.admit(get(f"/v1/workspaces/{ws}/campaigns", key))


async def test_a_machine_token_takes_its_role_from_the_key_not_from_its_claims():
    g = gate()
    ws, _ = await workspace_with(g)
    key_id, _ = await api_key(g, ws, "analyst")
    token = g.tokens.issue(f"apikey:{key_id}", ws=str(ws), role="owner")
    admission = await g.admitter.admit(get(f"/v1/workspaces/{ws}/campaigns", token))
    assert admission.role == "analyst"
    foreign = g.tokens.issue(f"apikey:{key_id}", ws=str(uuid.uuid4()), role="analyst")
    with pytest.raises(NotSignedIn):
        await g.admitter.admit(get(f"/v1/workspaces/{ws}/campaigns", foreign))


async def test_an_account_named_with_lone_surrogates_is_still_one_limited_account():
    g = gate(login="1/300")
    body = b'{"email": "\\ud800@example.com", "password": "x"}'
    await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, "10.0.0.1", body, "application/json"))
    with pytest.raises(TooManyRequests):
        await g.admitter.admit(Caller("POST", "/v1/auth/login", None, None, "10.0.0.2", body, "application/json"))


async def test_a_revoked_sessions_requests_spend_the_ips_budget_and_not_its_users():
    g = gate(default="2/60", ip="4/60")
    user, sid = uuid.uuid4(), uuid.uuid4()
    await read_model.session_revoked(NO_DATABASE, g.read_model, sid, datetime.now(UTC),
                                     SessionRevoked(user_id=user, reason="logout"))
    for _ in range(2):
        with pytest.raises(NotSignedIn) as refused:
            await g.admitter.admit(get("/v1/auth/me", g.tokens.issue(str(user), sid=str(sid))))
        assert refused.value.headers()["RateLimit-Policy"] == '"ip";q=4;w=60'
    fresh = g.tokens.issue(str(user), sid="after-login")
    for _ in range(2):
        await g.admitter.admit(get("/v1/auth/me", fresh))
    with pytest.raises(TooManyRequests) as limited:
        await g.admitter.admit(get("/v1/auth/me", fresh))
    assert '"ip";r=0' in limited.value.headers()["RateLimit"]
