"""Workspaces: lifecycle, invitations, role rules, last owner, transfer, delete, API keys, events."""

import json

from adly_kit.testing.plugin import eventually, read_topic

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def new_workspace(auth, owner, name="Shop") -> str:
    response = await auth.client.post("/v1/workspaces", json={"name": name}, headers=auth.identity(owner))
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "owner"
    return response.json()["id"]


async def join(auth, ws, inviter, role, *, mfa=False):
    person = await auth.signup()
    invite = await auth.client.post(f"/v1/workspaces/{ws}/invitations", json={"email": person.email, "role": role},
                                    headers=auth.identity(inviter))
    assert invite.status_code == 201, invite.text
    token = await auth.mail_token(person.email, "invitations")
    accepted = await auth.client.post(f"/v1/invitations/{token}/accept", headers=auth.identity(person))
    assert accepted.status_code == 200, accepted.text
    return person


async def test_workspace_lifecycle_with_invitation_roles_transfer_and_delete(auth):
    owner = await auth.signup()
    ws = await new_workspace(auth, owner)
    assert [w["id"] for w in (await auth.client.get("/v1/workspaces", headers=auth.identity(owner))).json()] == [ws]
    renamed = await auth.client.patch(f"/v1/workspaces/{ws}", json={"name": "Renamed"}, headers=auth.identity(owner))
    assert renamed.json()["name"] == "Renamed"

    admin = await join(auth, ws, owner, "admin")
    marketer = await join(auth, ws, admin, "marketer")
    members = (await auth.client.get(f"/v1/workspaces/{ws}/members", headers=auth.identity(marketer))).json()
    assert {m["role"] for m in members} == {"owner", "admin", "marketer"}

    # 2FA-marked operations need the proof
    path = f"/v1/workspaces/{ws}/members/{marketer.user_id}"
    no_proof = await auth.client.patch(path, json={"role": "analyst"}, headers=auth.identity(admin))
    assert no_proof.status_code == 403 and no_proof.json()["code"] == "two-factor-required"
    ok = await auth.client.patch(path, json={"role": "analyst"}, headers=auth.identity(admin, mfa=True))
    assert ok.status_code == 204
    # an analyst may not change roles; an admin may not touch the owner; nobody becomes owner by a role change
    assert (await auth.client.patch(f"/v1/workspaces/{ws}/members/{admin.user_id}", json={"role": "analyst"},
                                    headers=auth.identity(marketer, mfa=True))).status_code == 403
    assert (await auth.client.patch(f"/v1/workspaces/{ws}/members/{owner.user_id}", json={"role": "analyst"},
                                    headers=auth.identity(admin, mfa=True))).status_code == 409
    assert (await auth.client.patch(path, json={"role": "owner"}, headers=auth.identity(owner, mfa=True))).status_code == 403

    # the last owner cannot leave or be demoted
    assert (await auth.client.delete(f"/v1/workspaces/{ws}/members/{owner.user_id}",
                                     headers=auth.identity(owner))).status_code == 409
    assert (await auth.client.patch(f"/v1/workspaces/{ws}/members/{owner.user_id}", json={"role": "admin"},
                                    headers=auth.identity(owner, mfa=True))).status_code == 409

    # transfer, then the previous owner is an admin and may leave
    transfer = await auth.client.post(f"/v1/workspaces/{ws}/ownership", json={"user_id": str(admin.user_id)},
                                      headers=auth.identity(owner, mfa=True))
    assert transfer.status_code == 204
    assert (await auth.client.get(f"/v1/workspaces/{ws}", headers=auth.identity(owner))).json()["role"] == "admin"
    assert (await auth.client.delete(f"/v1/workspaces/{ws}/members/{owner.user_id}",
                                     headers=auth.identity(owner))).status_code == 204
    assert (await auth.client.get(f"/v1/workspaces/{ws}", headers=auth.identity(owner))).status_code == 404

    # only the owner deletes, with a proof
    assert (await auth.client.delete(f"/v1/workspaces/{ws}", headers=auth.identity(admin))).status_code == 403
    assert (await auth.client.delete(f"/v1/workspaces/{ws}", headers=auth.identity(admin, mfa=True))).status_code == 204
    assert (await auth.client.get(f"/v1/workspaces/{ws}", headers=auth.identity(marketer))).status_code == 404

    types = [t for t, _ in await auth.events("WHERE aggregate_type = 'workspace'")]
    assert types == ["WorkspaceCreated", "WorkspaceRenamed", "MemberAdded", "MemberAdded", "MemberRoleChanged",
                     "OwnershipTransferred", "MemberRemoved", "WorkspaceDeleted"]


async def test_other_workspaces_answer_404_like_missing_ones(auth):
    owner, stranger = await auth.signup(), await auth.signup()
    ws = await new_workspace(auth, owner)
    mine = await new_workspace(auth, stranger, "Mine")
    for method, path in [("GET", f"/v1/workspaces/{ws}"), ("GET", f"/v1/workspaces/{ws}/members"),
                         ("GET", f"/v1/workspaces/{ws}/api-keys"), ("DELETE", f"/v1/workspaces/{ws}")]:
        answer = await auth.client.request(method, path, headers=auth.identity(stranger, mfa=True))
        missing = await auth.client.request(method, path.replace(ws, "00000000-0000-0000-0000-000000000000"),
                                            headers=auth.identity(stranger, mfa=True))
        assert answer.status_code == missing.status_code == 404 and answer.json() == missing.json()
    # an identity scoped to one workspace does not reach another
    scoped = auth.identity(stranger, ws=mine)
    assert (await auth.client.get(f"/v1/workspaces/{ws}", headers=scoped)).status_code == 404


async def test_an_invitation_is_for_its_email_only(auth):
    owner, other = await auth.signup(), await auth.signup()
    ws = await new_workspace(auth, owner)
    await auth.client.post(f"/v1/workspaces/{ws}/invitations", json={"email": "invitee@example.com", "role": "analyst"},
                           headers=auth.identity(owner))
    token = await auth.mail_token("invitee@example.com", "invitations")
    assert (await auth.client.post(f"/v1/invitations/{token}/accept", headers=auth.identity(other))).status_code == 404


async def test_stale_concurrent_changes_conflict(auth):
    import asyncio

    owner = await auth.signup()
    ws = await new_workspace(auth, owner)
    answers = await asyncio.gather(*(auth.client.patch(f"/v1/workspaces/{ws}", json={"name": f"N{i}"},
                                                       headers=auth.identity(owner)) for i in range(6)))
    assert {a.status_code for a in answers} <= {200, 409} and any(a.status_code == 200 for a in answers)


async def test_api_keys_create_list_exchange_and_revoke(auth, kafka):
    owner = await auth.signup()
    ws = await new_workspace(auth, owner)
    admin = await join(auth, ws, owner, "admin")
    base = f"/v1/workspaces/{ws}/api-keys"
    assert (await auth.client.post(base, json={"name": "ci", "role": "analyst"}, headers=auth.identity(admin))).status_code == 403
    assert (await auth.client.post(base, json={"name": "x", "role": "owner"},
                                   headers=auth.identity(owner, mfa=True))).status_code == 403
    created = await auth.client.post(base, json={"name": "ci", "role": "marketer"}, headers=auth.identity(admin, mfa=True))
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    key = created.json()
    assert key["secret"].startswith(f"adly_sk_{key['id'].replace('-', '')}_")
    listed = (await auth.client.get(base, headers=auth.identity(admin))).json()
    assert [k["id"] for k in listed] == [key["id"]] and "secret" not in listed[0]
    assert all("sha256" not in name for name in listed[0])

    basic = await auth.client.post("/v1/auth/oauth/token", content="grant_type=client_credentials", headers=FORM,
                                   auth=(key["id"], key["secret"]))
    assert basic.status_code == 200, basic.text
    import jwt

    claims = jwt.decode(basic.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == f"apikey:{key['id']}" and claims["ws"] == ws and claims["role"] == "marketer"
    form = f"grant_type=client_credentials&client_id={key['id']}&client_secret={key['secret']}"
    assert (await auth.client.post("/v1/auth/oauth/token", content=form, headers=FORM)).status_code == 200
    wrong = await auth.client.post("/v1/auth/oauth/token", content=form[:-3] + "xyz", headers=FORM)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    unsupported = await auth.client.post("/v1/auth/oauth/token", content="grant_type=password", headers=FORM)
    assert unsupported.status_code == 400 and unsupported.json()["error"] == "unsupported_grant_type"

    machine = auth.identity(sub=f"apikey:{key['id']}", kind="api_key", ws=ws, role="marketer")
    assert (await auth.client.get(f"/v1/workspaces/{ws}", headers=machine)).status_code == 200
    assert (await auth.client.delete(f"{base}/{key['id']}", headers=auth.identity(admin))).status_code == 204
    assert (await auth.client.post("/v1/auth/oauth/token", content=form, headers=FORM)).status_code == 401
    assert (await auth.client.get(f"/v1/workspaces/{ws}", headers=machine)).status_code == 404

    async def published():
        records = await read_topic(kafka.bootstrap_servers, "adly.auth.api_key", until=10_000, timeout=1)
        mine = [json.loads(r.value)["event_type"] for r in records if r.key == key["id"].encode()]
        return mine if len(mine) == 2 else None

    assert await eventually(published, timeout=60) == ["ApiKeyCreated", "ApiKeyRevoked"]


async def test_workspace_events_reach_the_bus(auth, kafka):
    owner = await auth.signup()
    ws = await new_workspace(auth, owner)
    await join(auth, ws, owner, "analyst")

    async def published():
        records = await read_topic(kafka.bootstrap_servers, "adly.auth.workspace", until=10_000, timeout=1)
        mine = [json.loads(r.value) for r in records if r.key == ws.encode()]
        return mine if len(mine) == 2 else None

    events = await eventually(published, timeout=60)
    assert [e["event_type"] for e in events] == ["WorkspaceCreated", "MemberAdded"]
    assert all(e["workspace_id"] == ws for e in events)


async def test_the_rebuilt_read_model_equals_the_live_one(auth):
    from sqlalchemy import text

    owner = await auth.signup()
    ws = await new_workspace(auth, owner)
    await join(auth, ws, owner, "marketer")
    other = await new_workspace(auth, owner, "Other")
    await auth.client.delete(f"/v1/workspaces/{other}", headers=auth.identity(owner, mfa=True))
    s = auth.settings.schema
    read = f"""SELECT w.id, w.name, w.version, w.deleted_at IS NULL, m.user_id, m.role FROM {s}.workspaces w
               LEFT JOIN {s}.workspace_members m ON m.workspace_id = w.id ORDER BY 1, 5"""

    async def snapshot():
        async with auth.runtime.engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(text(read))]

    live = await snapshot()
    runner = auth.runtime.projection_runners[0]
    assert await runner.rebuild() >= 5
    assert await snapshot() == live
