"""The one envelope every ADLY event travels in."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID

import uuid_utils
import uuid_utils.compat
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


def new_event_id() -> UUID:
    """A time-ordered UUID (v7, RFC 9562): sorts by creation time, unique across processes.

    `uuid_utils` (Rust) makes one in about 1 µs, a third of what `uuid6` took, whose
    `secrets.randbits` is a system call per id, and keeps the millisecond's ids in order
    with a counter instead of pushing the timestamp a millisecond ahead for each id made
    within the same one. Every event, and every product of a sync, gets one."""
    return uuid_utils.compat.uuid7()  # the standard library's UUID type


# uuid_utils draws from a user-space generator that a forked child would inherit
# unchanged, and would then repeat the parent's ids (aminalaee/uuid-utils#42): reseed it.
os.register_at_fork(after_in_child=uuid_utils.reseed_rng)


def utc_now() -> datetime:
    return datetime.now(UTC)


class TraceContext(BaseModel):
    """W3C trace context (https://www.w3.org/TR/trace-context/) of the operation that
    produced the event, so one trace spans HTTP, service, Kafka and consumer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    traceparent: str = Field(pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
    tracestate: str | None = None


class EventEnvelope(BaseModel):
    """Metadata common to every event, around a type-specific payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=new_event_id, description="Time-ordered UUIDv7.")
    event_type: str = Field(description="Registered name, e.g. `CampaignDrafted`.")
    schema_version: int = Field(ge=1, description="Version of the payload schema.")
    aggregate_type: str = Field(description="e.g. `campaign`.")
    aggregate_id: UUID = Field(description="Also the Kafka message key.")
    aggregate_version: int = Field(ge=1, description="Position of the event in its aggregate.")
    workspace_id: UUID | None = Field(description="Tenant; null only for user-level events.")
    occurred_at: AwareDatetime = Field(default_factory=utc_now, description="UTC.")
    correlation_id: UUID | None = Field(default=None, description="The request or saga.")
    causation_id: UUID | None = Field(default=None, description="The event or command that caused this one.")
    trace: TraceContext | None = None
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @property
    def key(self) -> bytes:
        """The Kafka message key: the aggregate id, so one aggregate's events stay in order."""
        return str(self.aggregate_id).encode()

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    def encoded(self) -> EncodedEvent:
        return EncodedEvent(self.event_id, self.event_type, self.schema_version, self.aggregate_type, self.aggregate_id,
                            self.aggregate_version, self.workspace_id, self.occurred_at, self.model_dump_json())

    @classmethod
    def from_json(cls, raw: bytes | str) -> EventEnvelope:
        return cls.model_validate_json(raw)


class EncodedEvent(NamedTuple):
    """An event as the event store appends it: the envelope's columns and the envelope as JSON
    (`EventEnvelope.model_dump_json()`, or `EventCatalog.encoded` for a payload that is JSON
    already). What reads it back reads an `EventEnvelope`."""

    event_id: UUID
    event_type: str
    schema_version: int
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    workspace_id: UUID | None
    occurred_at: datetime
    json: str
