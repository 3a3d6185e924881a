"""WebSocket `/v1/workspaces/{id}/live`: a workspace's events, as they happen, to its members.

The client authenticates with its first message, `{"type":"auth","token":…}`, within
`live_auth_timeout_seconds`; then it receives every event of the workspace as JSON. The
token and the membership are checked again every few seconds: a removed member's or a
revoked session's stream ends. Close codes: 4401 not authenticated, 4403 forbidden (or a
foreign Origin), 4404 no such workspace or not a member, 1013 too slow to keep up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from uuid import UUID

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from adly_gateway.adapters.container import Edge
from adly_gateway.adapters.live import Subscriber
from adly_gateway.domain.authorization import Verdict, authorize, parse_workspace_id
from adly_gateway.domain.principal import Principal
from adly_gateway.domain.routes import resolve
from adly_gateway.entrypoints.deps import EdgeDep
from adly_gateway.handlers.admission import InvalidCredentials

router = APIRouter()
FEED_READY_SECONDS = 10.0


@router.websocket("/v1/workspaces/{workspace_id}/live")
async def live(websocket: WebSocket, workspace_id: str, edge: EdgeDep) -> None:
    """First message `{"type":"auth","token":…}` within 5 s; then the workspace's events as JSON."""
    origin = websocket.headers.get("origin")
    if origin is not None and origin not in edge.settings.cors_origins:
        await websocket.close(code=4403)
        return
    await websocket.accept()
    authenticated = await _principal(websocket, edge)
    if authenticated is None:
        return
    principal, token = authenticated
    ws = parse_workspace_id(workspace_id)
    role = await _role(edge, token, ws)
    match = resolve("GET", f"/v1/workspaces/{workspace_id}/live").match
    if ws is None or role is None or match is None:
        await websocket.close(code=4404, reason="not found")
        return
    if authorize(match, principal, role) is not Verdict.ALLOW:
        await websocket.close(code=4403, reason="forbidden")
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(edge.live.ready.wait(), timeout=FEED_READY_SECONDS)
    subscriber = edge.live.subscribe(str(ws))
    try:
        await websocket.send_text(json.dumps({"type": "ready", "workspace_id": str(ws)}))
        await _pump(websocket, edge, subscriber, token, ws)
    except WebSocketDisconnect:
        pass
    finally:
        edge.live.unsubscribe(str(ws), subscriber)


async def _principal(websocket: WebSocket, edge: Edge) -> tuple[Principal, str] | None:
    try:
        message = await asyncio.wait_for(websocket.receive_text(), timeout=edge.settings.live_auth_timeout_seconds)
        first = json.loads(message)
        token = first.get("token") if isinstance(first, dict) and first.get("type") == "auth" else None
        if not isinstance(token, str) or not token:
            raise InvalidCredentials("first message")
        principal, _ = await edge.admitter.authenticate(f"Bearer {token}", None, None)
        if principal is None:
            raise InvalidCredentials("no principal")
        return principal, token
    except (TimeoutError, ValueError, RecursionError, InvalidCredentials, WebSocketDisconnect, KeyError):
        # RecursionError: a first message nested too deep to parse is no more an auth message than broken JSON.
        with contextlib.suppress(Exception):
            await websocket.close(code=4401, reason="authentication required")
        return None


async def _role(edge: Edge, token: str, ws: UUID | None) -> str | None:
    if ws is None:
        return None
    try:
        _, role = await edge.admitter.authenticate(f"Bearer {token}", None, ws)
    except InvalidCredentials:
        return None
    return role


async def _pump(websocket: WebSocket, edge: Edge, subscriber: Subscriber, token: str, ws: UUID) -> None:
    """Send events; every few seconds re-check the token and membership (removal ends the stream)."""
    loop = asyncio.get_running_loop()
    next_check = loop.time() + edge.settings.live_recheck_seconds
    receiver = asyncio.create_task(_drain(websocket))
    try:
        while True:
            if receiver.done():
                return
            if subscriber.overflowed.is_set():
                await websocket.close(code=1013, reason="too slow; reconnect")
                return
            if loop.time() >= next_check:
                try:
                    _, role = await edge.admitter.authenticate(f"Bearer {token}", None, ws)
                except InvalidCredentials:
                    await websocket.close(code=4401, reason="token no longer valid")
                    return
                if role is None:
                    await websocket.close(code=4404, reason="not found")
                    return
                next_check = loop.time() + edge.settings.live_recheck_seconds
            try:
                frame = await asyncio.wait_for(subscriber.queue.get(), timeout=0.5)
            except TimeoutError:
                continue
            await websocket.send_text(frame)
    finally:
        receiver.cancel()
        with contextlib.suppress(BaseException):
            await receiver


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, so a disconnect is noticed."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
