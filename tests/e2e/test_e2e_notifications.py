"""Notifications through the gateway, with every service a real process (issue 13, "Done means").

A workspace's store fails to sync (its WooCommerce keys were revoked on the fake store, so
the catalog records `SyncFailed`), and:
- the endpoint the owner registered for `sync.failed` gets one delivery, which the stack's
  receiver verifies with the `standardwebhooks` package and the secret shown at registration;
- the owner's feed has a `sync.failed` item, the only unread one, and the workspace's live
  socket pushed its `NotificationCreated`;
- a receiver answering 500 three times gets the same `webhook-id` four times, then nothing
  more once the fourth is recorded delivered (retries are 0.2 s apart in the stack);
- endpoints on loopback or a private range are refused (422 naming `url`), analysts cannot
  read the endpoints and outsiders do not see the workspace at all;
- a marketer who turned `sync.failed` off gets no item of the next failing sync, which the
  owner does get;
- the failing sync mails the owner in Arabic (their language, set at auth) and the marketer in
  English, over the stack's SMTP server; the marketer's one-click unsubscribe link, POSTed to
  the gateway as a mail client would, stops their next `sync.failed` mail and not the owner's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import httpx
import pytest

from .conftest import LiveEvents, People, Person, Stack, eventually
from .webhooks import Hook


def show(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path} -> {response.status_code} {response.text[:400]}"


@dataclass
class Shop:
    """A workspace of the shared owner (2FA on) with a connected WooCommerce store whose keys
    the test revokes on the fake when it wants a sync to fail."""

    e2e: Stack
    owner: Person
    workspace: str
    store: str
    woo: Any
    consumer_key: str
    members: dict[str, Person] = field(default_factory=dict)  # role -> person, added when a test needs them

    def call(self, method: str, tail: str, who: Person | None = None, *, proof: bool = False,
             **kwargs: Any) -> httpx.Response:
        who = who or self.owner
        return self.e2e.request(method, f"/v1/workspaces/{self.workspace}{tail}", who=who,
                                proof=self.e2e.two_factor_token(who) if proof else None, **kwargs)

    def member(self, role: str) -> Person:
        if role not in self.members:
            person = self.e2e.signup(prefix=role)
            self.e2e.add_members(self.workspace, self.owner, [(person, role)])
            # Notifications learns members from auth's events on a consumer of its own; the new
            # member's "joined" item is written in the same transaction as the membership. Until
            # it shows, a notice could be addressed without them.
            eventually(lambda: any(i["kind"] == "member.invited" for i in self.feed(person)), timeout=60,
                       interval=0.1)
            self.members[role] = person
        return self.members[role]

    def register(self, hook: Hook, kinds: list[str]) -> dict[str, Any]:
        """An endpoint for `hook` (the owner, with a fresh 2FA proof); the hook learns its secret."""
        created = self.call("POST", "/webhooks", proof=True,
                            json={"url": hook.url, "kinds": kinds, "description": "e2e receiver"})
        assert created.status_code == 201, show(created)
        body = created.json()
        assert body["secret"].startswith("whsec_"), body
        hook.secret = body["secret"]
        return body

    def fail_a_sync(self) -> dict[str, Any]:
        """Start a sync the store refuses (its keys are revoked): the sync once it has failed."""
        self.woo.revoke_key(self.consumer_key)
        started = self.call("POST", f"/stores/{self.store}/syncs", json={"kind": "incremental"})
        assert started.status_code == 202, show(started)
        path = f"/stores/{self.store}/syncs/{started.json()['id']}"
        done = eventually(lambda: (s := self.call("GET", path).json())["state"] not in ("queued", "running") and s,
                          timeout=60, interval=0.1)
        assert done and done["state"] == "failed", done
        return done

    def feed(self, who: Person | None = None) -> list[dict[str, Any]]:
        answer = self.call("GET", "/notifications", who, params={"limit": 100})
        assert answer.status_code == 200, show(answer)
        return answer.json()["items"]

    def unread(self, who: Person | None = None) -> int:
        answer = self.call("GET", "/notifications/unread-count", who)
        assert answer.status_code == 200, show(answer)
        return answer.json()["unread"]

    def sync_failures(self, who: Person | None = None) -> list[dict[str, Any]]:
        return [item for item in self.feed(who) if item["kind"] == "sync.failed"]


@pytest.fixture(scope="module")
def shop(e2e: Stack, people: People):
    from tests.fakes.woocommerce import FakeWooCommerce

    owner = people.owner
    workspace = e2e.create_workspace(owner, "notified")
    with FakeWooCommerce() as woo:
        woo.seed(products=2, orders=1)
        key, secret = woo.add_key()
        created = e2e.request("POST", f"/v1/workspaces/{workspace}/stores", who=owner,
                              proof=e2e.two_factor_token(owner), json={
                                  "platform": "woocommerce", "site_url": woo.site_url, "consumer_key": key,
                                  "consumer_secret": secret})
        assert created.status_code == 201, show(created)
        store = created.json()["id"]
        syncs = f"/v1/workspaces/{workspace}/stores/{store}/syncs"
        first = eventually(lambda: next((s for s in e2e.request("GET", syncs, who=owner).json()
                                         if s["state"] not in ("queued", "running")), None), timeout=60, interval=0.2)
        assert first and first["state"] == "completed", first
        yield Shop(e2e, owner, workspace, store, woo, key)


def test_a_failing_sync_reaches_a_verified_webhook_the_owners_feed_and_the_live_socket(e2e: Stack, shop: Shop):
    hook = e2e.webhooks.hook()
    endpoint = shop.register(hook, ["sync.failed"])
    assert endpoint["url"] == hook.url and endpoint["kinds"] == ["sync.failed"]
    listed = shop.call("GET", "/webhooks")
    assert listed.status_code == 200, show(listed)
    assert hook.secret not in listed.text, "the secret is shown once, at registration"

    with LiveEvents(e2e, shop.workspace, shop.owner) as live:
        failed = shop.fail_a_sync()

        deliveries = hook.wait_for(1)
        assert len(deliveries) == 1, deliveries
        delivery = deliveries[0]
        assert delivery.verified, delivery.error
        assert delivery.payload["type"] == "sync.failed", delivery.payload
        assert delivery.payload["data"]["store_id"] == shop.store, delivery.payload
        assert delivery.payload["data"]["sync_id"] == failed["id"], delivery.payload

        items = eventually(shop.sync_failures, timeout=30, interval=0.1)
        assert len(items) == 1, items
        item = items[0]
        assert item["read"] is False and item["title"] and item["created_at"], item
        assert item["id"] == delivery.webhook_id, "the notice id is the webhook message id"
        assert shop.unread() == 1
        assert failed["error"] in item["body"], (failed["error"], item["body"])  # the catalog's reason, in words
        pushed = eventually(lambda: [e for e in live.events if e.get("event_type") == "NotificationCreated"
                                     and e.get("aggregate_id") == item["id"]], timeout=30, interval=0.05)
        assert pushed, "the live socket never pushed the notification"
        assert pushed[0]["payload"]["kind"] == "sync.failed"
        assert shop.owner.user_id in pushed[0]["payload"]["recipients"]

    read = shop.call("POST", f"/notifications/{item['id']}/read")
    assert read.is_success, show(read)
    assert shop.unread() == 0


def test_a_receiver_failing_three_times_gets_the_same_webhook_id_four_times_and_nothing_more(
        e2e: Stack, shop: Shop):
    hook = e2e.webhooks.hook()
    hook.answer_next(500, 500, 500)
    endpoint = shop.register(hook, ["sync.failed"])

    shop.fail_a_sync()

    deliveries = hook.wait_for(4)
    assert [d.answered for d in deliveries] == [500, 500, 500, 200], deliveries
    assert len({d.webhook_id for d in deliveries}) == 1, [d.webhook_id for d in deliveries]
    assert all(d.verified for d in deliveries), [d.error for d in deliveries]
    # The service records the fourth as delivered: from then on it never sends it again.
    log = f"/webhooks/{endpoint['id']}/deliveries"

    def recorded_delivered() -> list[dict[str, Any]]:
        answer = shop.call("GET", log)
        assert answer.status_code == 200, show(answer)
        return [d for d in answer.json()["deliveries"] if d["state"] == "delivered"]

    done = eventually(recorded_delivered, timeout=30, interval=0.1)
    assert len(done) == 1, done
    assert str(done[0]["webhook_id"]) == deliveries[0].webhook_id
    assert [a["status"] for a in sorted(done[0]["attempts"], key=lambda a: a["attempted_at"])] == [500, 500, 500, 200]
    assert len(hook.deliveries) == 4, hook.deliveries


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/", "https://10.0.0.5/", "https://192.168.1.20/hook",
                                 "http://[::1]:{port}/"])
def test_endpoints_on_loopback_or_private_addresses_are_refused(e2e: Stack, shop: Shop, url: str):
    from adly_kit.devstack._process import free_port

    target = url.format(port=free_port())  # not the receiver's host:port: the exception names that one only
    refused = shop.call("POST", "/webhooks", proof=True, json={"url": target, "kinds": ["sync.failed"]})
    assert refused.status_code == 422, show(refused)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert any(error["path"].endswith("url") for error in refused.json()["errors"]), refused.json()
    assert target not in [e["url"] for e in shop.call("GET", "/webhooks").json()]


def test_analysts_cannot_read_the_endpoints_and_outsiders_do_not_see_the_workspace(
        e2e: Stack, shop: Shop, people: People):
    analyst = shop.member("analyst")
    refused = shop.call("GET", "/webhooks", analyst)
    assert refused.status_code == 403, show(refused)
    assert shop.call("GET", "/notifications", analyst).status_code == 200  # the feed is everyone's
    hidden = shop.call("GET", "/webhooks", people.outsider)
    assert hidden.status_code == 404, show(hidden)
    # Changing them takes a manager's 2FA proof; a marketer has neither.
    marketer = shop.member("marketer")
    denied = shop.call("POST", "/webhooks", marketer, json={"url": e2e.webhooks.hook().url, "kinds": ["sync.failed"]})
    assert denied.status_code == 403, show(denied)
    no_proof = shop.call("POST", "/webhooks", json={"url": e2e.webhooks.hook().url, "kinds": ["sync.failed"]})
    assert no_proof.status_code == 403 and "two-factor-required" in no_proof.json()["type"], show(no_proof)


def test_a_marketer_who_turns_sync_failures_off_gets_none_of_the_next(e2e: Stack, shop: Shop):
    marketer = shop.member("marketer")
    mailed = len(sync_failure_mails(e2e, marketer, "A store sync failed"))
    # With the table's defaults a marketer is told (owner, admin and marketer are).
    before = {i["id"] for i in shop.sync_failures()}
    shop.fail_a_sync()
    told = eventually(lambda: [i for i in shop.sync_failures(marketer) if i["id"] not in before], timeout=30,
                      interval=0.1)
    assert len(told) == 1, told

    turned_off = shop.call("PUT", "/notifications/preferences", marketer,
                           json={"kinds": {"sync.failed": {"feed": False}}})
    assert turned_off.is_success, show(turned_off)
    again = shop.call("GET", "/notifications/preferences", marketer)
    assert again.status_code == 200, show(again)

    seen = {i["id"] for i in shop.sync_failures()}
    shop.fail_a_sync()
    # The owner's item and the marketer's would be written in the same transaction (one per
    # notice): once the owner has it, the marketer's feed is final for this failure.
    news = eventually(lambda: [i for i in shop.sync_failures() if i["id"] not in seen], timeout=30, interval=0.1)
    assert len(news) == 1, news
    assert [i["id"] for i in shop.sync_failures(marketer)] == [told[0]["id"]]
    # Only the feed was turned off: both failures still reach the marketer by mail. (Waiting for
    # them here also keeps them from landing in the next test's count.)
    eventually(lambda: len(sync_failure_mails(e2e, marketer, "A store sync failed")) == mailed + 2, timeout=60,
               interval=0.1)


def sync_failure_mails(e2e: Stack, person: Person, title: str) -> list[Message]:
    return [m for m in e2e.inbox.notified(person.email) if subject(m) == title]


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def part(message: Message, kind: str) -> str:
    found = next(p for p in message.walk() if p.get_content_type() == f"text/{kind}")
    return found.get_payload(decode=True).decode(found.get_content_charset() or "utf-8")


def test_a_failing_sync_mails_each_in_their_language_and_one_click_unsubscribes(e2e: Stack, shop: Shop):
    marketer, owner = shop.member("marketer"), shop.owner
    arabic = e2e.request("PATCH", "/v1/auth/me", who=owner, json={"language": "ar"})
    assert arabic.status_code == 200 and arabic.json()["language"] == "ar", show(arabic)
    try:
        def sync_mails(person: Person, title: str) -> list[Message]:
            return sync_failure_mails(e2e, person, title)

        owner_had, marketer_had = len(sync_mails(owner, "فشلت مزامنة المتجر")), len(
            sync_mails(marketer, "A store sync failed"))
        shop.fail_a_sync()
        to_owner = eventually(lambda: sync_mails(owner, "فشلت مزامنة المتجر")[owner_had:], timeout=60, interval=0.1)
        to_marketer = eventually(lambda: sync_mails(marketer, "A store sync failed")[marketer_had:], timeout=60,
                                 interval=0.1)
        assert len(to_owner) == 1 and len(to_marketer) == 1, (to_owner, to_marketer)
        html = part(to_owner[0], "html")
        assert 'dir="rtl"' in html and 'lang="ar"' in html
        assert "توقفت مزامنة متجرك" in part(to_owner[0], "plain")
        assert to_marketer[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = str(make_header(decode_header(to_marketer[0]["List-Unsubscribe"]))).strip("<>")
        assert link.startswith(f"{e2e.gateway_url}/v1/notifications/unsubscribe?token="), link

        clicked = httpx.post(link, content=b"List-Unsubscribe=One-Click", timeout=30,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert clicked.status_code == 200, clicked.text
        settings = shop.call("GET", "/notifications/preferences", marketer).json()["kinds"]
        assert next(k for k in settings if k["kind"] == "sync.failed")["channels"]["email"] is False

        shop.fail_a_sync()
        # The owner's mail and the marketer's would be queued in one transaction: once the owner's
        # second came, the marketer's mail of this failure would have been queued too.
        eventually(lambda: len(sync_mails(owner, "فشلت مزامنة المتجر")) == owner_had + 2, timeout=60, interval=0.1)
        assert len(sync_mails(marketer, "A store sync failed")) == marketer_had + 1
    finally:
        e2e.request("PATCH", "/v1/auth/me", who=owner, json={"language": "en"})
