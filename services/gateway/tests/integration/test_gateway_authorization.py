"""Workspace authorization from the read model: 404 for outsiders, 403 by role, 2FA, API keys (S1, S2)."""

from __future__ import annotations

import uuid

import pytest
import pytest_asyncio

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROLES = ("owner", "admin", "marketer", "analyst")


@pytest.fixture(scope="module")
def ids():
    return {"A": uuid.uuid4(), "B": uuid.uuid4(), **{role: uuid.uuid4() for role in ROLES}, "outsider": uuid.uuid4()}


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def seeded(stack, ids):
    for role in ROLES:
        await stack.member(ids["A"], ids[role], role)
    await stack.member(ids["B"], ids["outsider"], "owner")


def path(ws, tail=""):
    return f"/v1/workspaces/{ws}{tail}"


async def test_outsiders_and_unknown_workspaces_get_the_same_404(stack, client, ids):
    outsider = stack.bearer(ids["outsider"])
    bodies = set()
    for target in (ids["A"], uuid.uuid4(), "not-a-uuid", "../../etc"):
        for method, tail in (("GET", "/members"), ("GET", ""), ("PATCH", ""), ("DELETE", f"/members/{ids['admin']}"),
                             ("GET", "/campaigns"), ("POST", "/campaigns"), ("GET", "/audit-log"), ("GET", "/nope")):
            response = await client.request(method, path(target, tail), headers=outsider, json={} if method != "GET" else None)
            assert response.status_code == 404, (method, target, tail, response.text)
            bodies.add(response.content)
    assert len(bodies) == 1
    assert stack.echo.calls[("GET", path(ids["A"], "/members"))] == 0


async def test_anonymous_callers_get_401_on_workspace_routes(client, ids):
    for method, tail in (("GET", "/members"), ("POST", "/campaigns"), ("GET", "/audit-log")):
        assert (await client.request(method, path(ids["A"], tail))).status_code == 401


# (method, tail, permission) samples of the route table; expected outcomes follow the permission table.
MATRIX = [
    ("GET", "", "workspace.read"),
    ("PATCH", "", "workspace.update"),
    ("DELETE", "", "workspace.delete"),
    ("GET", "/members", "members.read"),
    ("PATCH", "/members/{other}", "members.change_role"),
    ("DELETE", "/members/{other}", "members.remove"),
    ("POST", "/invitations", "members.invite"),
    ("GET", "/api-keys", "api_keys.read"),
    ("POST", "/api-keys", "api_keys.create"),
    ("DELETE", "/api-keys/{other}", "api_keys.revoke"),
    ("POST", "/ownership", "ownership.transfer"),
    ("GET", "/stores", "stores.read"),
    ("POST", "/stores", "stores.connect"),
    ("DELETE", "/stores/{other}", "stores.disconnect"),
    ("GET", "/campaigns", "campaigns.read"),
    ("POST", "/campaigns", "campaigns.write"),
    ("PATCH", "/campaigns/{other}", "campaigns.write"),
    ("POST", "/ad-accounts", "ad_accounts.connect"),
    ("DELETE", "/ad-accounts/{other}", "ad_accounts.disconnect"),
    ("GET", "/creatives", "creatives.read"),
    ("POST", "/creatives", "creatives.generate"),
    ("GET", "/analytics/overview", "analytics.read"),
    ("POST", "/analytics/exports", "data.export"),
    ("GET", "/notifications", "notifications.read"),
    ("POST", "/notifications/read-all", "notifications.read"),
    ("GET", "/webhooks", "webhooks.read"),
    ("POST", "/webhooks", "webhooks.manage"),
    ("DELETE", "/webhooks/{other}", "webhooks.manage"),
    ("GET", "/audit-log", "audit_log.read"),
]


async def test_every_role_sees_exactly_the_permission_table(stack, client, ids):
    from adly_kit.permissions import allows, needs_two_factor

    other = uuid.uuid4()
    deviations = []
    for role in ROLES:
        user = ids[role]
        for with_2fa in (False, True):
            headers = stack.bearer(user) | ({"X-2FA-Token": stack.keys.two_factor(str(user))} if with_2fa else {})
            for method, tail, permission in MATRIX:
                url = path(ids["A"], tail.format(other=other))
                response = await client.request(method, url, headers=headers, json={} if method in ("POST", "PATCH") else None)
                if not allows(role, permission):
                    expected = 403
                elif needs_two_factor(permission) and not with_2fa:
                    expected = 403
                else:
                    expected = (200, 201)
                ok = response.status_code in expected if isinstance(expected, tuple) else response.status_code == expected
                if not ok:
                    deviations.append((role, with_2fa, method, tail, response.status_code))
                if response.status_code == 403 and allows(role, permission) and needs_two_factor(permission):
                    assert response.json()["type"].endswith("two-factor-required")
    assert deviations == []


async def test_forwarded_identity_carries_workspace_role_and_mfa(stack, client, ids):
    user = ids["admin"]
    response = await client.get(path(ids["A"], "/members"), headers=stack.bearer(user) | {"X-2FA-Token": stack.keys.two_factor(str(user))})
    identity = response.json()["identity"]
    assert identity["ws"] == str(ids["A"]) and identity["role"] == "admin" and identity["mfa"] is True
    # A 2FA proof of someone else does not count.
    other_proof = stack.keys.two_factor(str(ids["owner"]))
    response = await client.delete(path(ids["A"], f"/members/{ids['analyst']}"), headers=stack.bearer(user) | {"X-2FA-Token": other_proof})
    assert response.status_code == 403 and response.json()["type"].endswith("two-factor-required")


async def test_a_member_may_leave_without_the_remove_permission(stack, client, ids):
    analyst = ids["analyst"]
    response = await client.delete(path(ids["A"], f"/members/{analyst}"), headers=stack.bearer(analyst))
    assert response.status_code == 200
    response = await client.delete(path(ids["A"], f"/members/{ids['marketer']}"), headers=stack.bearer(analyst))
    assert response.status_code == 403


async def test_client_sent_identity_headers_are_replaced(stack, client, ids):
    forged = "eyJzdWIiOiJldmlsIn0.forged"
    response = await client.get("/v1/auth/me", headers=stack.bearer(ids["marketer"]) | {"X-Adly-Identity": forged})
    assert response.json()["identity"]["sub"] == str(ids["marketer"])
    response = await client.post("/v1/auth/login", headers={"X-Adly-Identity": forged, "X-Forwarded-For": "10.9.9.9"},
                                 json={"email": "a@example.com", "password": "x"})
    assert response.json()["identity_header_present"] is False


async def test_api_keys_are_limited_to_their_workspace_and_role(stack, client, ids):
    key = await stack.api_key(ids["A"], "marketer")
    bearer = {"Authorization": f"Bearer {key}"}
    response = await client.get(path(ids["A"], "/campaigns"), headers=bearer)
    assert response.status_code == 200
    identity = response.json()["identity"]
    assert identity["kind"] == "api_key" and identity["role"] == "marketer" and identity["ws"] == str(ids["A"])
    assert (await client.post(path(ids["A"], "/campaigns"), headers=bearer, json={})).status_code == 201
    assert (await client.get(path(ids["A"], "/api-keys"), headers=bearer)).status_code == 403
    assert (await client.get(path(ids["B"], "/campaigns"), headers=bearer)).status_code == 404
    assert (await client.post("/v1/workspaces", headers=bearer, json={})).status_code == 403
    admin_key = await stack.api_key(ids["A"], "admin")
    response = await client.delete(path(ids["A"], f"/members/{ids['analyst']}"), headers={"Authorization": f"Bearer {admin_key}"})
    assert response.status_code == 403 and response.json()["type"].endswith("two-factor-required")
    # Wrong secret, revoked key, deleted workspace: 401.
    assert (await client.get(path(ids["A"], "/campaigns"), headers={"Authorization": f"Bearer {key[:-4]}AAAA"})).status_code == 401
    revoked = await stack.api_key(ids["A"], "marketer", revoked=True)
    assert (await client.get(path(ids["A"], "/campaigns"), headers={"Authorization": f"Bearer {revoked}"})).status_code == 401
    await stack.db.execute(f"UPDATE {stack.schema}.api_keys SET revoked = true WHERE workspace_id = $1", ids["A"])
    assert (await client.get(path(ids["A"], "/campaigns"), headers=bearer)).status_code == 401


async def test_machine_tokens_use_the_key_in_the_read_model(stack, client, ids):
    key = await stack.api_key(ids["B"], "analyst")
    key_id = key.removeprefix("adly_sk_")[:36]
    token = stack.keys.access(f"apikey:{key_id}", ws=str(ids["B"]), role="owner")  # a claimed role is not believed
    response = await client.get(path(ids["B"], "/campaigns"), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["identity"]["role"] == "analyst"
    assert (await client.post(path(ids["B"], "/campaigns"), headers={"Authorization": f"Bearer {token}"}, json={})).status_code == 403
    foreign = stack.keys.access(f"apikey:{key_id}", ws=str(ids["A"]), role="analyst")
    assert (await client.get(path(ids["A"], "/campaigns"), headers={"Authorization": f"Bearer {foreign}"})).status_code == 401
