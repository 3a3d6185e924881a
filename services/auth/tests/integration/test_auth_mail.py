"""The mail runner: it sends with no transaction open, and a refused mail is tried again."""

import asyncio

from sqlalchemy import text

from adly_kit.testing.plugin import eventually

from .conftest import Stall


async def mail_rows(auth, lock: bool = False) -> list[tuple]:
    """(leased, attempts, sent, last_error) of every queued mail; `lock` fails at once on a locked row."""
    async with auth.runtime.engine.begin() as tx:
        rows = await tx.execute(text(
            f"SELECT next_attempt_at > now(), attempts, sent_at IS NOT NULL, last_error "
            f"FROM {auth.settings.schema}.mail_outbox" + (" FOR UPDATE NOWAIT" if lock else "")))
        return [tuple(row) for row in rows]


async def test_a_mail_is_sent_with_no_transaction_holding_its_row(auth):
    auth.inbox.stall = stall = Stall()
    try:
        await auth.client.post("/v1/auth/signup", json={"email": "stalled@example.com", "password": auth.password})
        assert await asyncio.to_thread(stall.held.wait, 60), "the mail reached the SMTP server"
        # While the server holds the mail, its row is free to lock, and leased past the send.
        assert await mail_rows(auth, lock=True) == [(True, 0, False, None)]
    finally:
        stall.released.set()
    await auth.mail_token("stalled@example.com", "confirm-signup")
    assert await eventually(lambda: _sent(auth), timeout=60)
    assert [row[1:] for row in await mail_rows(auth)] == [(1, True, None)]


async def test_a_mail_the_server_refuses_is_tried_again_and_then_sent(auth):
    auth.inbox.refuse = 1
    await auth.client.post("/v1/auth/signup", json={"email": "later@example.com", "password": auth.password})
    await auth.mail_token("later@example.com", "confirm-signup")
    assert await eventually(lambda: _sent(auth), timeout=60)
    (row,) = await mail_rows(auth)
    assert row[1:] == (2, True, "DATA 451 4.3.0 Try again later")


async def _sent(auth) -> bool:
    rows = await mail_rows(auth)
    return bool(rows) and all(sent for _, _, sent, _ in rows)
