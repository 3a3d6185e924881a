"""Analytics' revisions on real Postgres, with rows written before them."""

from __future__ import annotations

import asyncio
import json
import uuid

from sqlalchemy import text

from adly_analytics.bootstrap import MIGRATIONS
from adly_kit import migrations
from adly_kit.db import make_engine
from adly_kit.testing.plugin import drop_schema

META_ONLY = {"level": "platform", "platform": "meta", "campaign_id": None, "ad_set_id": None, "ad_id": None}
AD = {"level": "ad", "platform": "meta", "campaign_id": str(uuid.uuid4()), "ad_set_id": "s", "ad_id": str(uuid.uuid4())}
NONE = {"level": "none", "platform": None, "campaign_id": None, "ad_set_id": None, "ad_id": None}
RECORDS = {  # credit, the signal of the winning touch
    "click id": (META_ONLY, "click_id"), "referrer": (META_ONLY, "referrer"), "ad": (AD, "adly_ids"), "none": (NONE, None)}


async def test_orders_credited_to_a_platform_only_before_0006_await_their_campaign_after_it(service_settings):
    engine = make_engine(service_settings)
    s = service_settings.schema
    try:
        await asyncio.to_thread(migrations.upgrade, service_settings, str(MIGRATIONS), "0005")
        orders = {name: uuid.uuid4() for name in RECORDS}
        async with engine.begin() as tx:
            for name, (credit, signal) in RECORDS.items():
                record = {"credit": credit, "touch": signal and {"signal": signal, "platform": credit["platform"]}}
                await tx.execute(text(
                    f"INSERT INTO {s}.orders (order_id, workspace_id, version, record, unattributed) "
                    "VALUES (:o, :w, 1, CAST(:r AS jsonb), :u)"),
                    {"o": orders[name], "w": uuid.uuid4(), "r": json.dumps(record), "u": name == "none"})

        await asyncio.to_thread(migrations.upgrade, service_settings, str(MIGRATIONS), "0006")

        async with engine.connect() as conn:
            awaiting = {o: (c, d) for o, c, d in await conn.execute(text(
                f"SELECT order_id, awaiting_campaign, awaiting_delivery FROM {s}.orders"))}
            index = (await conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = :s AND indexname = 'orders_awaiting_credit'"),
                {"s": s})).scalar_one()
        assert awaiting == {orders["click id"]: (True, "meta"), orders["referrer"]: (True, None),
                            orders["ad"]: (False, None), orders["none"]: (True, None)}
        assert index.endswith("WHERE awaiting_campaign")  # the partial index follows the renamed flag
    finally:
        await engine.dispose()
        await drop_schema(service_settings)
