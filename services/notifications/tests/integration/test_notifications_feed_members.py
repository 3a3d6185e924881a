"""The feed on real Postgres: auth's events make the members, a failing sync reaches the
feeds its roles say, once, through the service's own consumer handlers and repositories;
members read and mark their feed and set their preferences through the API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from adly_events.contracts.auth import MemberRemoved
from adly_events.contracts.catalog import SyncFailed

from .feed_world import Notifications, Team, notifications_settings, running

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def service(service_settings) -> AsyncIterator[Notifications]:
    async with running(notifications_settings(service_settings)) as notifications:
        yield notifications


def a_failed_sync(reason: str = "Salla refused the access token.") -> SyncFailed:
    return SyncFailed(store_id=uuid.uuid4(), reason=reason, retryable=False)


async def test_a_failing_sync_reaches_each_owner_admin_and_marketer_once_and_no_analyst(service: Notifications):
    team = await service.team()
    sent = await service.consume(a_failed_sync(), team.workspace_id)

    for user in (team.owner, team.admin, team.marketer):
        (item,) = await service.items(team.workspace_id, user)
        assert await service.unread(team.workspace_id, user) == 1
        assert item["title"] == "A store sync failed"
        assert item["body"] == "Syncing your store stopped: Salla refused the access token."
        assert item["read"] is False and item["link"].startswith("/stores/")
        assert item["created_at"].startswith(sent.occurred_at.isoformat()[:19])
    assert await service.items(team.workspace_id, team.analyst) == []
    assert await service.unread(team.workspace_id, team.analyst) == 0


async def test_a_notification_created_event_is_recorded_with_the_recipients_for_the_outbox(service: Notifications):
    team = await service.team()
    sent = await service.consume(a_failed_sync(), team.workspace_id)

    (row,) = await service.rows("""SELECT aggregate_id, aggregate_version, workspace_id, envelope
        FROM {s}.events WHERE event_type = 'NotificationCreated' AND envelope->'payload'->>'kind' = 'sync.failed'""")
    aggregate_id, version, workspace_id, envelope = row
    payload = envelope["payload"]
    assert version == 1 and workspace_id == team.workspace_id
    assert {uuid.UUID(u) for u in payload["recipients"]} == {team.owner, team.admin, team.marketer}
    assert payload["kind"] == "sync.failed" and payload["source_event_id"] == str(sent.event_id)
    assert envelope["causation_id"] == str(sent.event_id)
    assert (await service.items(team.workspace_id, team.owner))[0]["id"] == str(aggregate_id)
    assert await service.scalar("""SELECT count(*) FROM {s}.outbox o JOIN {s}.events e USING (event_id)
        WHERE e.aggregate_id = :id AND o.topic = 'adly.notifications.notification'""", id=aggregate_id) == 1


async def test_a_replayed_event_adds_nothing(service: Notifications):
    team = await service.team()
    sent = await service.consume(a_failed_sync(), team.workspace_id)
    await service.consume(SyncFailed.model_validate(sent.payload), team.workspace_id, sent=sent)

    assert len(await service.items(team.workspace_id, team.owner)) == 1
    assert await service.scalar("""SELECT count(*) FROM {s}.events WHERE event_type = 'NotificationCreated'
        AND envelope->'payload'->>'source_event_id' = :id""", id=str(sent.event_id)) == 1
    assert await service.scalar("SELECT count(*) FROM {s}.feed_items WHERE read_at IS NULL") == 3


async def test_a_member_who_turned_sync_failed_off_gets_nothing(service: Notifications):
    team = await service.team()
    response = await service.client.put(f"/v1/workspaces/{team.workspace_id}/notifications/preferences",
                                        json={"kinds": {"sync.failed": {"feed": False}}},
                                        headers=service.as_member(team.workspace_id, team.marketer, "marketer"))
    assert response.status_code == 200, response.text
    mine = {k["kind"]: k for k in response.json()["kinds"]}
    assert mine["sync.failed"]["channels"] == {"feed": False, "email": True}

    await service.consume(a_failed_sync(), team.workspace_id)

    assert await service.items(team.workspace_id, team.marketer) == []
    assert len(await service.items(team.workspace_id, team.admin)) == 1


async def test_a_removed_member_gets_nothing_more_and_their_feed_is_gone(service: Notifications):
    team = await service.team()
    await service.consume(a_failed_sync(), team.workspace_id)
    await service.consume(MemberRemoved(user_id=team.marketer, removed_by=team.owner), team.workspace_id,
                          aggregate_id=team.workspace_id, version=team.version + 1)
    await service.consume(a_failed_sync("Again."), team.workspace_id)

    assert await service.scalar("SELECT count(*) FROM {s}.feed_items WHERE user_id = :u", u=team.marketer) == 0
    assert await service.scalar("SELECT count(*) FROM {s}.members WHERE user_id = :u", u=team.marketer) == 0
    owner = await service.feed(team.workspace_id, team.owner, unread_only="true")
    assert [i["kind"] for i in owner["items"]] == ["sync.failed", "member.removed", "sync.failed"]


async def test_marking_read_lowers_the_unread_count(service: Notifications):
    team = await service.team()
    for n in range(3):
        await service.consume(a_failed_sync(f"#{n}"), team.workspace_id)
    ws, owner = team.workspace_id, team.owner
    assert await service.unread(ws, owner) == 3
    newest = (await service.items(ws, owner))[0]

    response = await service.client.post(f"/v1/workspaces/{ws}/notifications/{newest['id']}/read",
                                         headers=service.as_member(ws, owner))
    assert response.status_code == 200 and response.json() == {"unread": 2}
    assert (await service.items(ws, owner))[0]["read"] is True
    assert await service.unread(team.workspace_id, team.admin) == 3  # each member marks their own

    response = await service.client.post(f"/v1/workspaces/{ws}/notifications/read-all",
                                         headers=service.as_member(ws, owner))
    assert response.json() == {"marked": 2, "unread": 0}
    assert await service.unread(ws, owner) == 0


async def test_pages_run_newest_first_with_a_cursor(service: Notifications):
    team = await service.team()
    for n in range(5):
        await service.consume(a_failed_sync(f"#{n}"), team.workspace_id)
    seen, cursor = [], None
    while True:
        page = await service.feed(team.workspace_id, team.owner, limit=2, unread_only="true",
                                  **({"cursor": cursor} if cursor else {}))
        seen += [i["params"]["reason"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == ["#4", "#3", "#2", "#1", "#0"]
    everything = await service.feed(team.workspace_id, team.owner)
    assert len(everything["items"]) == 8  # the 5 syncs, and the 3 members' joining, read


async def test_the_feed_speaks_arabic_when_asked(service: Notifications):
    team = await service.team()
    await service.consume(a_failed_sync("رفضت سلة رمز الوصول."), team.workspace_id)
    response = await service.client.get(f"/v1/workspaces/{team.workspace_id}/notifications",
                                         headers=service.as_member(team.workspace_id, team.owner,
                                                                   language="ar-SA,en;q=0.5"))
    assert response.headers["content-language"] == "ar"
    item = response.json()["items"][0]
    assert item["title"] == "فشلت مزامنة المتجر" and item["body"] == "توقفت مزامنة متجرك: رفضت سلة رمز الوصول."


async def test_a_kind_that_is_not_mutable_cannot_be_turned_off_and_the_problem_names_the_field(service: Notifications):
    ws, me = uuid.uuid4(), uuid.uuid4()
    response = await service.client.put(f"/v1/workspaces/{ws}/notifications/preferences",
                                        json={"kinds": {"store.disconnected": {"feed": False},
                                                        "nope": {"feed": True}}},
                                        headers=service.as_member(ws, me, "admin"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert [e["path"] for e in problem["errors"]] == ["body/kinds/store.disconnected/feed", "body/kinds/nope"]
    got = await service.client.get(f"/v1/workspaces/{ws}/notifications/preferences",
                                   headers=service.as_member(ws, me, "admin"))
    assert all(all(k["channels"].values()) for k in got.json()["kinds"])  # nothing of the refused change kept


async def test_someone_elses_notification_cannot_be_marked_and_an_api_key_has_no_feed(service: Notifications):
    team: Team = await service.team()
    await service.consume(a_failed_sync(), team.workspace_id)
    theirs = (await service.items(team.workspace_id, team.owner))[0]["id"]

    response = await service.client.post(f"/v1/workspaces/{team.workspace_id}/notifications/{theirs}/read",
                                         headers=service.as_member(team.workspace_id, team.analyst, "analyst"))
    assert response.status_code == 404
    response = await service.client.get(f"/v1/workspaces/{team.workspace_id}/notifications",
                                        headers=service.as_member(team.workspace_id, "apikey:1", kind="api_key"))
    assert response.status_code == 403 and response.json()["code"] == "feed-needs-a-person"
    other = uuid.uuid4()
    response = await service.client.get(f"/v1/workspaces/{other}/notifications",
                                        headers=service.as_member(team.workspace_id, team.owner))
    assert response.status_code == 404
