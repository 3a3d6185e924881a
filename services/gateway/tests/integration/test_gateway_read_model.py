"""The read model follows auth's events end to end; the live socket pushes a workspace's events."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
import websockets

from adly_events.contracts.auth import (
    ApiKeyCreated,
    ApiKeyRevoked,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    SessionRevoked,
    WorkspaceCreated,
    WorkspaceRole,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
GATEWAY_ROLES = ("api", "worker")


async def until(check, timeout: float = 30.0) -> float:
    """Seconds until `check()` is true."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if await check():
            return time.perf_counter() - started
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def test_membership_changes_take_effect_within_seconds(stack, client):
    ws, owner, member = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    url = f"/v1/workspaces/{ws}/campaigns"
    await stack.publish(WorkspaceCreated(name="Acme", owner_id=owner), aggregate_id=ws, version=1, workspace_id=ws)
    await stack.publish(MemberAdded(user_id=member, role=WorkspaceRole.MARKETER, invited_by=owner), aggregate_id=ws, version=2, workspace_id=ws)
    headers = stack.bearer(member)

    async def status(method: str) -> int:
        return (await client.request(method, url, headers=headers, json={} if method == "POST" else None)).status_code

    async def admitted():
        return await status("POST") == 201

    await until(admitted, timeout=60)  # the first events also wait for the consumer group to form
    assert (await client.get(url, headers=stack.bearer(owner))).status_code == 200

    await stack.publish(MemberRoleChanged(user_id=member, old_role=WorkspaceRole.MARKETER, new_role=WorkspaceRole.ANALYST, changed_by=owner),
                        aggregate_id=ws, version=3, workspace_id=ws)
    started = time.perf_counter()

    async def downgraded():
        return await status("POST") == 403

    await until(downgraded)
    downgrade_delay = time.perf_counter() - started
    assert await status("GET") == 200

    await stack.publish(MemberRemoved(user_id=member, removed_by=owner), aggregate_id=ws, version=4, workspace_id=ws)
    started = time.perf_counter()

    async def removed():
        return await status("GET") == 404

    await until(removed)
    removal_delay = time.perf_counter() - started
    # Reported, not bounded: how long it takes is the machine's business; that it happens is the test's.
    print(f"\nrevocation delay end to end (publish -> gateway answer): role change {downgrade_delay:.3f} s, "
          f"removal {removal_delay:.3f} s")


async def test_api_keys_and_sessions_follow_their_events(stack, client):
    import hashlib
    import secrets

    ws, owner = uuid.uuid4(), uuid.uuid4()
    key_id = uuid.uuid4()
    key = f"adly_sk_{key_id}_{secrets.token_urlsafe(32)}"
    await stack.publish(WorkspaceCreated(name="Keys", owner_id=owner), aggregate_id=ws, version=1, workspace_id=ws)
    await stack.publish(ApiKeyCreated(name="ci", role=WorkspaceRole.ANALYST, secret_sha256=hashlib.sha256(key.encode()).hexdigest(),
                                      created_by=owner), aggregate_id=key_id, version=1, workspace_id=ws)
    bearer = {"Authorization": f"Bearer {key}"}

    async def works():
        return (await client.get(f"/v1/workspaces/{ws}/campaigns", headers=bearer)).status_code == 200

    await until(works, timeout=60)
    await stack.publish(ApiKeyRevoked(revoked_by=owner), aggregate_id=key_id, version=2, workspace_id=ws)

    async def refused():
        return (await client.get(f"/v1/workspaces/{ws}/campaigns", headers=bearer)).status_code == 401

    print(f"\nAPI key revocation delay: {await until(refused):.3f} s")

    sid = uuid.uuid4()
    session = stack.bearer(owner, sid=str(sid))
    assert (await client.get("/v1/auth/me", headers=session)).status_code == 200
    await stack.publish(SessionRevoked(user_id=owner, reason="refresh_token_reuse"), aggregate_id=sid, version=1, workspace_id=None)

    async def session_refused():
        return (await client.get("/v1/auth/me", headers=session)).status_code == 401

    print(f"session revocation delay: {await until(session_refused, timeout=60):.3f} s")


def ws_url(stack, workspace) -> str:
    return stack.url.replace("http://", "ws://") + f"/v1/workspaces/{workspace}/live"


async def test_the_live_socket_pushes_only_its_workspaces_events(stack):
    ws, other_ws, member = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.member(ws, member, "analyst")
    # The feed's reader has its partitions and positions: what is published from now on reaches it.
    await asyncio.wait_for(stack.adapters.edge.live.ready.wait(), 60)
    async with websockets.connect(ws_url(stack, ws)) as socket:
        await socket.send(json.dumps({"type": "auth", "token": stack.keys.access(str(member))}))
        ready = json.loads(await asyncio.wait_for(socket.recv(), 30))
        assert ready == {"type": "ready", "workspace_id": str(ws)}
        newcomer = uuid.uuid4()
        await stack.publish(MemberAdded(user_id=uuid.uuid4(), role=WorkspaceRole.ANALYST), aggregate_id=other_ws, version=1, workspace_id=other_ws)
        await stack.publish(MemberAdded(user_id=newcomer, role=WorkspaceRole.ANALYST), aggregate_id=ws, version=1, workspace_id=ws)
        event = json.loads(await asyncio.wait_for(socket.recv(), 30))
        assert event["workspace_id"] == str(ws)
        assert event["event_type"] == "MemberAdded" and event["payload"]["user_id"] == str(newcomer)

        # Removed from the workspace: the stream ends with 4404.
        await stack.db.execute(f"DELETE FROM {stack.schema}.memberships WHERE workspace_id = $1 AND user_id = $2", ws, member)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(socket.recv(), 30)
        assert closed.value.rcvd.code == 4404


async def test_the_live_socket_refuses_bad_tokens_outsiders_and_silence(stack):
    ws, member, outsider = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.member(ws, member, "owner")
    cases = [
        ({"type": "auth", "token": "garbage"}, 4401),
        ({"type": "auth", "token": stack.keys.two_factor(str(member))}, 4401),
        ({"type": "hello"}, 4401),
        ({"type": "auth", "token": stack.keys.access(str(outsider))}, 4404),
        (None, 4401),  # says nothing within the auth timeout
    ]
    for first, code in cases:
        async with websockets.connect(ws_url(stack, ws)) as socket:
            if first is not None:
                await socket.send(json.dumps(first))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 30)
            assert closed.value.rcvd.code == code, first
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(ws_url(stack, ws), origin="https://evil.example"):
            pass
