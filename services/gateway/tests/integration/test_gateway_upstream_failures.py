"""Upstream failures (S12): a stalled upstream is 504 after the timeout, an unreachable one 502."""

from __future__ import annotations

import socket
import uuid

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")
# Short, to wait for it once: the stalled upstream answers only when released, so the timeout
# is the only thing that can end the request. (Other modules keep the generous default.)
GATEWAY_SETTINGS = {"upstream_timeout_seconds": 2.0}


async def test_upstream_timeout_is_504_and_unreachable_is_502(stack, client):
    user = uuid.uuid4()
    try:  # the upstream stalls until the gateway has given up on it
        response = await client.get("/v1/auth/slow", headers=stack.bearer(user))
    finally:
        stack.echo.slow_release.set()
    assert response.status_code == 504
    assert response.json()["title"] == "Upstream timed out"
    # An upstream that refuses connections: point one name at a closed port for a moment.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    upstreams = stack.adapters.edge.upstreams
    original = dict(upstreams.urls)
    upstreams.urls["catalog"] = f"http://127.0.0.1:{closed}"
    try:
        ws = uuid.uuid4()
        await stack.member(ws, user, "owner")
        response = await client.get(f"/v1/workspaces/{ws}/stores", headers=stack.bearer(user))
        assert response.status_code == 502
        assert response.headers["content-type"].startswith("application/problem+json")
    finally:
        upstreams.urls.clear()
        upstreams.urls.update(original)
