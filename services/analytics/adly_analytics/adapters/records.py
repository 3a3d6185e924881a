"""Order records to and from JSON, as the orders table keeps them between an order's versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from adly_analytics.domain.attribution import Credit, Level, OrderRecord
from adly_analytics.domain.touches import Signal, Touch
from adly_events.contracts.catalog import OrderAttribution
from adly_events.contracts.common import AdPlatform, Money


def dump_record(record: OrderRecord) -> dict[str, Any]:
    return {"credit": dump_credit(record.credit), "touch": dump_touch(record.touch),
            "signals": record.signals.model_dump(mode="json"), "net": record.net.model_dump(mode="json"),
            "counted": record.counted}


def load_record(workspace_id: UUID, order_id: UUID, version: int, data: dict[str, Any]) -> OrderRecord:
    return OrderRecord(workspace_id, order_id, version, load_credit(data["credit"]), load_touch(data["touch"]),
                       OrderAttribution.model_validate(data["signals"]), Money.model_validate(data["net"]),
                       data["counted"])


def dump_credit(credit: Credit) -> dict[str, Any]:
    return {"level": credit.level.value, "platform": _text(credit.platform), "campaign_id": _text(credit.campaign_id),
            "ad_set_id": credit.ad_set_id, "ad_id": _text(credit.ad_id)}


def load_credit(data: dict[str, Any]) -> Credit:
    return Credit(Level(data["level"]), _platform(data["platform"]), _uuid(data["campaign_id"]), data["ad_set_id"],
                  _uuid(data["ad_id"]))


def dump_touch(touch: Touch | None) -> dict[str, Any] | None:
    if touch is None:
        return None
    return {"signal": touch.signal.value, "at": touch.at.isoformat(), "source": touch.source,
            "platform": _text(touch.platform), "campaign_id": _text(touch.campaign_id), "ad_id": _text(touch.ad_id),
            "position": touch.position}


def load_touch(data: dict[str, Any] | None) -> Touch | None:
    if data is None:
        return None
    return Touch(Signal(data["signal"]), datetime.fromisoformat(data["at"]), data["source"],
                 _platform(data["platform"]), _uuid(data["campaign_id"]), _uuid(data["ad_id"]), data["position"])


def _text(value: object) -> str | None:
    return None if value is None else str(value.value if isinstance(value, AdPlatform) else value)


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _platform(value: str | None) -> AdPlatform | None:
    return None if value is None else AdPlatform(value)
