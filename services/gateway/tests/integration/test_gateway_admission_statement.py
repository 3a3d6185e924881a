"""A signed-in user's admission in one round trip (adapters.rate_limits.MemberAdmission) answers
as the read-model query and the rate-limit statement one after the other do."""

from __future__ import annotations

import uuid

import pytest

from adly_gateway.adapters.rate_limits import MemberAdmission, RateLimiter
from adly_gateway.adapters.read_model import ReadModel
from adly_gateway.domain.ratelimit import Limit, Quota

pytestmark = pytest.mark.asyncio(loop_scope="module")

DAY = 86400.0  # nothing spent comes back during the test, however slow the machine


async def test_one_statement_reads_the_member_and_charges_only_what_the_session_allows(stack):
    ws, user = uuid.uuid4(), uuid.uuid4()
    await stack.member(ws, user, "marketer")
    await stack.db.execute(f"INSERT INTO {stack.schema}.revoked_sessions (sid, user_id, at) VALUES ($1, $2, now())",
                           "revoked", user)
    members = MemberAdmission(stack.db, stack.schema)
    read_model, limiter = ReadModel(stack.db, stack.schema), RateLimiter(stack.db, stack.schema)
    # The request from one IP: the session standing, standing, revoked, standing, then outside the workspace.
    calls = [(ws, "s-1"), (ws, "s-1"), (ws, "revoked"), (ws, "s-1"), (uuid.uuid4(), "s-1")]

    def limits(tag: str) -> list[Limit]:
        return [Limit("ip", f"ip:{tag}", Quota(3, DAY)), Limit("default", f"default:{tag}", Quota(3, DAY))]

    async def in_one(workspace: uuid.UUID, sid: str) -> tuple:
        mine = limits("one")
        role, revoked, decisions = await members.member_and_check(user, workspace, sid, mine, {mine[1].key})
        return role, revoked, [(d.policy, d.allowed, d.remaining) for d in decisions]

    async def in_two(workspace: uuid.UUID, sid: str) -> tuple:
        role, revoked = await read_model.user(user, workspace, sid)
        mine = limits("two")
        decisions = await limiter.check(mine[:1] if revoked else mine)
        return role, revoked, [(d.policy, d.allowed, d.remaining) for d in decisions]

    one = [await in_one(*call) for call in calls]
    two = [await in_two(*call) for call in calls]
    assert one == two
    assert [(role, revoked) for role, revoked, _ in one] == [
        ("marketer", False), ("marketer", False), ("marketer", True), ("marketer", False), (None, False)]
    # The revoked session's request spent the IP's budget and not its user's: the fourth
    # request still had the user's third, the IP had none left.
    assert [decisions for _, _, decisions in one] == [
        [("ip", True, 2), ("default", True, 2)],
        [("ip", True, 1), ("default", True, 1)],
        [("ip", True, 0)],
        [("ip", False, 0), ("default", True, 0)],
        [("ip", False, 0), ("default", False, 0)],
    ]
