"""Idempotency-Key (S7) and the audit log of mutating calls (S15)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_fifty_concurrent_retries_reach_the_upstream_once(stack, client):
    ws, user = uuid.uuid4(), uuid.uuid4()
    await stack.member(ws, user, "marketer")
    url = f"/v1/workspaces/{ws}/campaigns"
    headers = stack.bearer(user) | {"Idempotency-Key": f"create-{uuid.uuid4()}"}
    body = {"name": "Spring sale", "budget": 100}
    arrived, release = asyncio.Event(), asyncio.Event()
    stack.echo.holding = (arrived, release)  # the request that claims the key stays upstream until released
    try:
        retries = [asyncio.create_task(client.post(url, headers=headers, json=body)) for _ in range(50)]
        await asyncio.wait_for(arrived.wait(), 60)
        while sum(r.done() for r in retries) < 49:  # every other retry is answered while the first runs
            await asyncio.wait([r for r in retries if not r.done()], return_when=asyncio.FIRST_COMPLETED)
        release.set()
        responses = await asyncio.gather(*retries)
    finally:
        stack.echo.holding = None
        release.set()
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [201] + [409] * 49, statuses
    assert stack.echo.calls[("POST", url)] == 1
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert all(r.headers.get("retry-after") for r in responses if r.status_code == 409)
    replay = await client.post(url, headers=headers, json=body)
    assert replay.status_code == 201
    assert replay.json()["id"] in created
    assert replay.headers["idempotent-replayed"] == "true"
    assert stack.echo.calls[("POST", url)] == 1
    different = await client.post(url, headers=headers, json=body | {"budget": 1000})
    assert different.status_code == 422
    # Scoped per principal: another member's identical key is a different request.
    other = uuid.uuid4()
    await stack.member(ws, other, "marketer")
    again = await client.post(url, headers=stack.bearer(other) | {"Idempotency-Key": headers["Idempotency-Key"]}, json=body)
    assert again.status_code == 201 and again.json()["id"] not in created
    assert stack.echo.calls[("POST", url)] == 2


async def test_keys_longer_than_255_characters_are_refused(stack, client):
    ws, user = uuid.uuid4(), uuid.uuid4()
    await stack.member(ws, user, "owner")
    url = f"/v1/workspaces/{ws}/campaigns"
    assert (await client.post(url, headers=stack.bearer(user) | {"Idempotency-Key": "k" * 256}, json={})).status_code == 400
    assert (await client.post(url, headers=stack.bearer(user) | {"Idempotency-Key": "k" * 255}, json={})).status_code == 201


async def test_mutating_calls_are_audited_and_readable_by_managers_only(stack, client):
    ws = uuid.uuid4()
    owner, admin, marketer, outsider = (uuid.uuid4() for _ in range(4))
    for user, role in ((owner, "owner"), (admin, "admin"), (marketer, "marketer")):
        await stack.member(ws, user, role)
    token_marker = stack.keys.access(str(marketer))
    await client.post(f"/v1/workspaces/{ws}/campaigns", headers={"Authorization": f"Bearer {token_marker}", "X-Request-ID": "audit-req-1"},
                      json={"email": "canary@example.com"})
    await client.patch(f"/v1/workspaces/{ws}", headers=stack.bearer(marketer) | {"X-Request-ID": "audit-req-2"}, json={})
    await client.delete(f"/v1/workspaces/{ws}/members/{admin}", headers=stack.bearer(outsider))
    for _ in range(3):
        await client.get(f"/v1/workspaces/{ws}/campaigns", headers=stack.bearer(marketer))  # reads are not audited

    page = await client.get(f"/v1/workspaces/{ws}/audit-log", headers=stack.bearer(admin))
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert [(i["method"], i["route"], i["status"]) for i in items] == [
        ("DELETE", "/v1/workspaces/{workspace_id}/members/{user_id}", 404),
        ("PATCH", "/v1/workspaces/{workspace_id}", 403),
        ("POST", "/v1/workspaces/{workspace_id}/campaigns", 201),
    ]
    assert items[2]["actor"] == str(marketer) and items[2]["request_id"] == "audit-req-1"
    assert items[0]["actor"] == str(outsider)
    assert all(len(i["ip_hash"]) == 32 and "127.0.0.1" not in i["ip_hash"] for i in items)
    assert (await client.get(f"/v1/workspaces/{ws}/audit-log", headers=stack.bearer(marketer))).status_code == 403
    assert (await client.get(f"/v1/workspaces/{ws}/audit-log", headers=stack.bearer(outsider))).status_code == 404

    clamped = await client.get(f"/v1/workspaces/{ws}/audit-log", params={"limit": 1_000_000}, headers=stack.bearer(owner))
    assert clamped.status_code == 200 and len(clamped.json()["items"]) <= 100
    first = await client.get(f"/v1/workspaces/{ws}/audit-log", params={"limit": 2}, headers=stack.bearer(owner))
    assert len(first.json()["items"]) == 2 and first.json()["next_before"]
    second = await client.get(f"/v1/workspaces/{ws}/audit-log", params={"limit": 2, "before": first.json()["next_before"]},
                              headers=stack.bearer(owner))
    assert [i["method"] for i in second.json()["items"]] == ["POST"]

    dump = str(await stack.db.fetch(f"SELECT * FROM {stack.schema}.audit_log"))
    assert "canary@example.com" not in dump and token_marker not in dump and "127.0.0.1" not in dump
    with pytest.raises(Exception, match="append-only"):
        await stack.db.execute(f"DELETE FROM {stack.schema}.audit_log WHERE workspace_id = $1", ws)
