"""What notifications asks of other services at send time, under a service identity for the
workspace (adly_kit.identity.service_identity), over their internal routes, never the gateway:
auth for the members' addresses, languages and time zones (they stay in auth: no personal data
on the bus or in this service's tables), analytics for the figures of a daily digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx

from adly_kit.identity import HEADER, service_identity
from adly_notifications.domain.letters import CampaignDay, Digest, Recipient
from adly_notifications.handlers.ports import Unavailable
from adly_notifications.settings import NotificationsSettings


class _Internal:
    def __init__(self, http: httpx.AsyncClient, base: str, settings: NotificationsSettings) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self.key = settings.internal_identity_key.get_secret_value().encode()

    async def call(self, method: str, path: str, workspace_id: UUID, **options: Any) -> Any:
        headers = {HEADER: service_identity("notifications", workspace_id, self.key)}
        try:
            answer = await self.http.request(method, f"{self.base}{path}", headers=headers, **options)
        except httpx.HTTPError as error:
            raise Unavailable(f"{self.base} unreachable: {type(error).__name__}") from None
        if answer.status_code != 200:
            raise Unavailable(f"{method} {path.split('?')[0]} answered {answer.status_code}")
        try:
            return answer.json()
        except ValueError:
            raise Unavailable(f"{method} {path.split('?')[0]} answered something that is not JSON") from None


class AuthContacts(_Internal):
    def __init__(self, http: httpx.AsyncClient, settings: NotificationsSettings) -> None:
        super().__init__(http, settings.auth_url, settings)

    async def contacts(self, workspace_id: UUID, user_ids: Sequence[UUID]) -> dict[UUID, Recipient]:
        if not user_ids:
            return {}
        found = await self.call("POST", f"/internal/auth/workspaces/{workspace_id}/contacts", workspace_id,
                                json={"user_ids": [str(u) for u in user_ids]})
        try:
            return {UUID(c["user_id"]): Recipient(UUID(c["user_id"]), c["email"], c["language"], c["time_zone"])
                    for c in found["contacts"]}
        except (KeyError, TypeError, ValueError) as error:
            raise Unavailable(f"auth's contacts did not read: {type(error).__name__} {error}") from None


class AnalyticsDigests(_Internal):
    def __init__(self, http: httpx.AsyncClient, settings: NotificationsSettings) -> None:
        super().__init__(http, settings.analytics_url, settings)

    async def digest(self, workspace_id: UUID, day: date) -> Digest:
        found = await self.call("GET", f"/internal/analytics/workspaces/{workspace_id}/digest", workspace_id,
                                params={"day": day.isoformat()})
        try:
            return Digest(
                workspace_id=workspace_id, day=date.fromisoformat(found["day"]), currency=found.get("currency"),
                spend=_decimal(found.get("spend")), revenue=_decimal(found.get("revenue")), orders=int(found["orders"]),
                roas=_decimal(found.get("roas")), impressions=int(found["impressions"]), clicks=int(found["clicks"]),
                campaigns=tuple(CampaignDay(
                    campaign_id=UUID(c["campaign_id"]), name=c.get("name"), spend=_decimal(c.get("spend")),
                    revenue=_decimal(c.get("revenue")), orders=int(c["orders"]), roas=_decimal(c.get("roas")))
                    for c in found["campaigns"]))
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            raise Unavailable(f"analytics' digest did not read: {type(error).__name__} {error}") from None


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None
