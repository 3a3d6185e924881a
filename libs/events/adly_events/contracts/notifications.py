"""Events of the notifications context: topics `adly.notifications.notification` and
`adly.notifications.webhook_endpoint` (docs/notifications.md).

`NotificationCreated` is what the gateway's live socket pushes to a workspace: a new item in
some members' feeds. No email addresses or other personal data (RELIABILITY S15): members are
named by user id, and the words are rendered by each reader in their language from `kind` and
`params`.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, Field

from adly_events.catalog import CATALOG
from adly_events.contracts.common import Contract

notification_event = {"version": 1, "context": "notifications", "aggregate": "notification"}
endpoint_event = {"version": 1, "context": "notifications", "aggregate": "webhook_endpoint"}


@CATALOG.event("NotificationCreated", **notification_event)
class NotificationCreated(Contract):
    """Something happened that these members are told about in their feeds (the aggregate id
    is the notification's: one per source event and kind)."""

    kind: str = Field(description="What happened, e.g. `sync.failed`, `campaign.published` (docs/notifications.md).")
    recipients: list[UUID] = Field(description="User ids whose feed has it.")
    params: dict[str, str] = Field(default_factory=dict, description="What the words name: a store, a campaign...")
    source_event_id: UUID = Field(description="The event that caused it.")
    link: str | None = Field(default=None, description="Where the app shows the subject, e.g. `/campaigns/<id>`.")


@CATALOG.event("WebhookEndpointDisabled", **endpoint_event)
class WebhookEndpointDisabled(Contract):
    """An endpoint that kept failing was disabled; its deliveries wait until it is enabled again."""

    endpoint_id: UUID
    reason: str
    failing_since: AwareDatetime

