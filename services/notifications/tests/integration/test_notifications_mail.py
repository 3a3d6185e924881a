"""Mail on real Postgres and a real SMTP server: a notice mails its audience in each member's
language, the one-click link unsubscribes, a refusal for now is retried and one for good is not,
a mail handed to the server is never sent twice, and each member's digest goes out at their own
morning. Auth's contacts and analytics' figures come from a stand-in on real HTTP (mail_world).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from adly_events.contracts.catalog import SyncFailed
from adly_notifications.entrypoints.runners import queue_digests, send_due_mail
from tests.fakes.smtp import SmtpServer

from .feed_world import Notifications, Team, notifications_settings, running
from .mail_world import Colleagues

pytestmark = pytest.mark.asyncio
REASON = "Salla refused the access token <script>alert(1)</script>"


@pytest.fixture
def mailbox() -> Iterator[SmtpServer]:
    box = SmtpServer().start()
    yield box
    box.stop()


@pytest.fixture
async def colleagues(service_settings) -> AsyncIterator[Colleagues]:
    async with Colleagues(service_settings.internal_identity_key.get_secret_value().encode()) as stand_in:
        yield stand_in


@pytest.fixture
async def service(service_settings, mailbox: SmtpServer, colleagues: Colleagues) -> AsyncIterator[Notifications]:
    settings = notifications_settings(
        service_settings, smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_starttls=False, mail_transport="smtp",
        smtp_timeout_seconds=5, auth_url=colleagues.url, analytics_url=colleagues.url,
        public_api_url="https://api.adly.test", public_app_url="https://app.adly.test",
        mail_from="ADLY <no-reply@adly.test>")
    async with running(settings) as notifications:
        yield notifications


def addresses(team: Team) -> dict[uuid.UUID, str]:
    return {team.owner: f"owner-{team.workspace_id.hex[:6]}@merchant.test",
            team.admin: f"admin-{team.workspace_id.hex[:6]}@merchant.test",
            team.marketer: f"marketer-{team.workspace_id.hex[:6]}@merchant.test",
            team.analyst: f"analyst-{team.workspace_id.hex[:6]}@merchant.test"}


async def a_team(service: Notifications, colleagues: Colleagues, *, owner_zone: str = "Asia/Riyadh",
                 marketer_zone: str = "Asia/Riyadh") -> Team:
    """Owner reads Arabic, the others English."""
    team = await service.team()
    mail = addresses(team)
    colleagues.person(team.workspace_id, team.owner, mail[team.owner], "ar", owner_zone)
    colleagues.person(team.workspace_id, team.admin, mail[team.admin], "en")
    colleagues.person(team.workspace_id, team.marketer, mail[team.marketer], "en", marketer_zone)
    colleagues.person(team.workspace_id, team.analyst, mail[team.analyst], "en")
    await change(service, "DELETE FROM {s}.mails WHERE workspace_id = :w", w=team.workspace_id)  # the joining mails
    return team


async def change(service: Notifications, sql: str, **params: object) -> None:
    """A write the test makes itself, committed (moving a clock the runner reads)."""
    async with service.adapters.engine.begin() as conn:
        await conn.execute(text(sql.replace("{s}", service.settings.schema)), params)


async def states(service: Notifications, team: Team) -> dict[uuid.UUID, str]:
    rows = await service.rows("SELECT user_id, state FROM {s}.mails WHERE workspace_id = :w AND kind <> 'digest.daily'",
                              w=team.workspace_id)
    return dict(rows)  # type: ignore[arg-type]


async def test_a_failing_sync_mails_its_audience_each_in_their_language(service, mailbox, colleagues):
    team = await a_team(service, colleagues)
    failed = SyncFailed(store_id=uuid.uuid4(), reason=REASON, retryable=False)
    sent = await service.consume(failed, team.workspace_id)

    assert await send_due_mail(service.adapters) == ["sent", "sent", "sent"]
    mail = addresses(team)
    assert mailbox.to(mail[team.analyst]) == []  # analysts are not told of syncs
    (arabic,) = mailbox.to(mail[team.owner])
    assert str(arabic["Subject"]) == "فشلت مزامنة المتجر"
    assert arabic.get_content_type() == "multipart/alternative"
    text, html = arabic.get_body(("plain",)), arabic.get_body(("html",))
    assert text is not None and html is not None
    assert "توقفت مزامنة متجرك" in text.get_content()
    assert 'dir="rtl"' in html.get_content() and 'lang="ar"' in html.get_content()
    assert "<script>" not in html.get_content() and "&lt;script&gt;" in html.get_content()
    assert arabic["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(arabic["List-Unsubscribe"]).startswith("<https://api.adly.test/v1/notifications/unsubscribe?token=")
    assert str(arabic["Message-ID"]).endswith("@adly.test>")
    (english,) = mailbox.to(mail[team.marketer])
    assert str(english["Subject"]) == "A store sync failed"
    english_html = english.get_body(("html",))
    assert english_html is not None and 'dir="ltr"' in english_html.get_content()

    # The same event again (a redelivery) mails nobody again.
    mailbox.received.clear()
    await service.consume(failed, team.workspace_id, sent=sent)
    assert await send_due_mail(service.adapters) == []
    assert mailbox.received == []


async def test_the_one_click_link_stops_that_kind_of_mail_and_a_get_changes_nothing(service, mailbox, colleagues):
    team = await a_team(service, colleagues)
    mail = addresses(team)
    await service.consume(SyncFailed(store_id=uuid.uuid4(), reason="first", retryable=False), team.workspace_id)
    await send_due_mail(service.adapters)
    (first,) = mailbox.to(mail[team.marketer])
    link = urlsplit(str(first["List-Unsubscribe"]).strip("<>"))
    path = f"{link.path}?{link.query}"

    looked = await service.client.get(path)  # a link scanner, or the person before clicking
    assert looked.status_code == 200 and "<form" in looked.text
    await service.consume(SyncFailed(store_id=uuid.uuid4(), reason="second", retryable=False), team.workspace_id)
    clicked = await service.client.post(path, content=b"List-Unsubscribe=One-Click",
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert clicked.status_code == 200, clicked.text
    # The second failure's mail was queued before the click: it is dropped at send time.
    await send_due_mail(service.adapters)
    assert len(mailbox.to(mail[team.marketer])) == 1
    assert len(mailbox.to(mail[team.owner])) == 2

    await service.consume(SyncFailed(store_id=uuid.uuid4(), reason="third", retryable=False), team.workspace_id)
    await send_due_mail(service.adapters)
    assert len(mailbox.to(mail[team.marketer])) == 1 and len(mailbox.to(mail[team.owner])) == 3
    prefs = await service.client.get(f"/v1/workspaces/{team.workspace_id}/notifications/preferences",
                                     headers=service.as_member(team.workspace_id, team.marketer, "marketer"))
    assert prefs.status_code == 200
    (sync,) = [k for k in prefs.json()["kinds"] if k["kind"] == "sync.failed"]
    assert sync["channels"] == {"feed": True, "email": False}
    # Their feed still has it: only the mail was turned off.
    assert len(await service.items(team.workspace_id, team.marketer)) == 3


async def test_a_forged_or_immutable_unsubscribe_token_is_refused_with_its_field(service, colleagues):
    from adly_notifications.domain.unsubscribe import unsubscribe_token

    team = await a_team(service, colleagues)
    forged = await service.client.post("/v1/notifications/unsubscribe?token=bm90LWEtdG9rZW4")
    assert forged.status_code == 422
    assert forged.json()["errors"][0]["path"] == "query/token", forged.text
    token = unsubscribe_token(service.adapters.unsubscribe_key, team.workspace_id, team.owner, "store.disconnected")
    immutable = await service.client.post(f"/v1/notifications/unsubscribe?token={token}")
    assert immutable.status_code == 422 and immutable.json()["code"] == "not-mutable"


async def test_a_refusal_for_now_is_retried_later_and_sent_once(service, mailbox, colleagues):
    team = await a_team(service, colleagues)
    mailbox.script = ["451 4.3.0 Try again later"] * 3
    await service.consume(SyncFailed(store_id=uuid.uuid4(), reason="x", retryable=False), team.workspace_id)
    assert await send_due_mail(service.adapters) == ["pending"] * 3
    (waiting,) = await service.rows("SELECT min(not_before) - now() FROM {s}.mails WHERE workspace_id = :w",
                                    w=team.workspace_id)
    assert waiting[0].total_seconds() > 20  # 30 s, -20 % at worst
    assert await send_due_mail(service.adapters) == []  # not due yet
    await change(service, "UPDATE {s}.mails SET not_before = now() WHERE workspace_id = :w", w=team.workspace_id)
    assert await send_due_mail(service.adapters) == ["sent"] * 3
    assert len(mailbox.received) == 3
    (tries,) = await service.rows("SELECT DISTINCT tries FROM {s}.mails WHERE workspace_id = :w", w=team.workspace_id)
    assert tries[0] == 2


async def test_a_refusal_for_good_fails_the_mail_at_once(service, mailbox, colleagues):
    team = await a_team(service, colleagues)
    mailbox.script = ["550 5.1.1 No such user here"]
    await service.consume(SyncFailed(store_id=uuid.uuid4(), reason="x", retryable=False), team.workspace_id)
    assert sorted(await send_due_mail(service.adapters)) == ["failed", "sent", "sent"]
    (error,) = await service.rows("SELECT last_error FROM {s}.mails WHERE state = 'failed' AND workspace_id = :w",
                                  w=team.workspace_id)
    assert error[0].startswith("DATA 550") and "merchant.test" not in error[0]


async def test_a_mail_handed_to_the_server_is_never_sent_again_after_its_worker_dies(service, mailbox, colleagues):
    team = await a_team(service, colleagues)
    colleagues.contacts[team.workspace_id] = {team.owner: colleagues.contacts[team.workspace_id][team.owner]}
    mailbox.hold.set()
    await service.consume(SyncFailed(store_id=uuid.uuid4(), reason="x", retryable=False), team.workspace_id)
    worker = asyncio.create_task(send_due_mail(service.adapters))
    assert await asyncio.to_thread(mailbox.at_data.wait, 30)
    worker.cancel()  # the worker dies while the server holds the message
    with pytest.raises(asyncio.CancelledError):
        await worker
    mailbox.hold.clear()
    mailbox.release.set()
    # Its lease runs out (the test moves it, rather than waiting two minutes).
    await change(service, "UPDATE {s}.mails SET leased_until = now() - interval '1 second' WHERE workspace_id = :w",
                 w=team.workspace_id)
    assert "sent" not in await send_due_mail(service.adapters)
    assert len(mailbox.received) == 1
    found = await states(service, team)
    assert found[team.owner] == "unconfirmed"
    assert found[team.admin] == found[team.marketer] == "dropped"  # auth no longer answers for them


async def test_auth_not_answering_is_retried_and_a_member_it_does_not_know_is_dropped(service, mailbox, colleagues):
    team = await a_team(service, colleagues)
    colleagues.down = True
    await service.consume(SyncFailed(store_id=uuid.uuid4(), reason="x", retryable=False), team.workspace_id)
    assert await send_due_mail(service.adapters) == ["pending"] * 3
    colleagues.down = False
    del colleagues.contacts[team.workspace_id][team.admin]
    await change(service, "UPDATE {s}.mails SET not_before = now() WHERE workspace_id = :w", w=team.workspace_id)
    assert sorted(await send_due_mail(service.adapters)) == ["dropped", "sent", "sent"]
    assert (await states(service, team))[team.admin] == "dropped"


DIGEST_DAY = "2026-12-05"


def figures(team: Team) -> dict[str, object]:
    campaign = str(uuid.uuid4())
    return {"workspace_id": str(team.workspace_id), "day": DIGEST_DAY, "currency": "SAR", "spend": "360.50",
            "revenue": "1249.90", "orders": 7, "roas": "3.47", "impressions": 21000, "clicks": 650,
            "campaigns": [{"campaign_id": campaign, "name": "White Friday oud", "spend": "200.00",
                           "revenue": "900.00", "orders": 5, "roas": "4.50"}]}


async def test_each_members_digest_goes_out_once_at_their_own_morning(service, mailbox, colleagues):
    team = await a_team(service, colleagues, owner_zone="Asia/Riyadh", marketer_zone="America/New_York")
    colleagues.digests[(team.workspace_id, DIGEST_DAY)] = figures(team)
    turned_off = await service.client.put(
        f"/v1/workspaces/{team.workspace_id}/notifications/preferences",
        json={"kinds": {"digest.daily": {"email": False}}},
        headers=service.as_member(team.workspace_id, team.analyst, "analyst"))
    assert turned_off.status_code == 200, turned_off.text

    def queued() -> set[tuple[uuid.UUID, str]]:
        return {(user, day.isoformat()) for user, day in rows}

    # 05:30 UTC on the 6th: 08:30 in Riyadh (the owner and admin, their 5th); 00:30 in New York.
    await queue_digests(service.adapters, datetime(2026, 12, 6, 5, 30, tzinfo=UTC))
    rows = await service.rows("SELECT user_id, day FROM {s}.mails WHERE kind = 'digest.daily' AND workspace_id = :w",
                              w=team.workspace_id)
    assert queued() == {(team.owner, DIGEST_DAY), (team.admin, DIGEST_DAY)}
    # Later that day New York's morning comes; a second round queues nothing twice.
    await queue_digests(service.adapters, datetime(2026, 12, 6, 13, 30, tzinfo=UTC))
    await queue_digests(service.adapters, datetime(2026, 12, 6, 13, 35, tzinfo=UTC))
    rows = await service.rows("SELECT user_id, day FROM {s}.mails WHERE kind = 'digest.daily' AND workspace_id = :w",
                              w=team.workspace_id)
    assert queued() == {(team.owner, DIGEST_DAY), (team.admin, DIGEST_DAY), (team.marketer, DIGEST_DAY)}

    await send_due_mail(service.adapters)
    mail = addresses(team)
    (arabic,) = [m for m in mailbox.to(mail[team.owner])]
    assert str(arabic["Subject"])  # in Arabic, naming the day
    html = arabic.get_body(("html",))
    assert html is not None and 'dir="rtl"' in html.get_content() and "White Friday oud" in html.get_content()
    assert "360.50" in html.get_content() or "360٫50" in html.get_content()
    assert arabic["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len(mailbox.to(mail[team.marketer])) == 1 and mailbox.to(mail[team.analyst]) == []


async def test_a_day_with_nothing_to_report_sends_no_digest(service, mailbox, colleagues):
    await a_team(service, colleagues)
    await queue_digests(service.adapters, datetime(2026, 12, 6, 6, 0, tzinfo=UTC))
    states_after = await send_due_mail(service.adapters)
    assert states_after and set(states_after) == {"dropped"}
    assert mailbox.received == []
