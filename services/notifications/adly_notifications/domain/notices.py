"""A notice: one thing that happened in a workspace that someone may be told about.

The intake (handlers/intake.py) turns a consumed event into at most one `Notice` per kind; the
feed, and the webhooks subscribed to its kind, are fed from it. Plain data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

NOTICE_NAMESPACE = UUID("6f1d1c52-8f0e-4a55-9d0e-6a1c5b2e7d41")


@dataclass(frozen=True)
class Notice:
    kind: str                       # a key of domain/kinds.py's KINDS, e.g. "campaign.published"
    workspace_id: UUID
    source_event_id: UUID           # the consumed event's id: replays give the same notice
    occurred_at: datetime
    params: dict[str, str] = field(default_factory=dict)   # what the words name (feed, mail)
    data: dict[str, Any] = field(default_factory=dict)     # a webhook's `data` object (JSON-ready)
    link: str | None = None
    only_to: tuple[UUID, ...] | None = None  # a notice for given members only (an invitee), else by role

    @property
    def id(self) -> UUID:
        """Stable per source event and kind: the notification's id, and the webhook message's."""
        return uuid5(NOTICE_NAMESPACE, f"{self.source_event_id}:{self.kind}")
