"""The catalog of event types: every event we publish is registered here once.

A registered (name, version) is a published contract and never changes. A breaking
change registers a new version of the same name plus an upcaster from the old one, so
consumers always see the latest shape, whatever version sits in the store or on a topic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel

from adly_events.envelope import EncodedEvent, EventEnvelope, TraceContext, new_event_id, utc_now
from adly_events.topics import topic_for

Payload = TypeVar("Payload", bound=type[BaseModel])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(LookupError):
    """The envelope names an event type or version this catalog does not know."""


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    context: str
    aggregate_type: str
    payload_model: type[BaseModel]
    description: str

    @cached_property  # asked once per event appended: the name's checks run once per type
    def topic(self) -> str:
        return topic_for(self.context, self.aggregate_type)

    @property
    def schema_id(self) -> str:
        return f"{self.name}.v{self.version}"


@dataclass
class EventCatalog:
    """Registry of event types, their upcasters and their published schemas."""

    title: str = "ADLY events"
    _types: dict[tuple[str, int], EventType] = field(default_factory=dict)
    _upcasters: dict[tuple[str, int], Upcaster] = field(default_factory=dict)
    _by_model: dict[type[BaseModel], EventType] = field(default_factory=dict)

    def event(self, name: str, *, version: int, context: str, aggregate: str) -> Callable[[Payload], Payload]:
        """Class decorator registering a payload model as event `name` at `version`."""

        def register(model: Payload) -> Payload:
            key = (name, version)
            if key in self._types:
                raise ValueError(f"{name} v{version} is registered already; add a new version instead")
            description = (model.__doc__ or name).strip().splitlines()[0]
            event_type = EventType(name, version, context, aggregate, model, description)
            self._types[key] = event_type
            self._by_model[model] = event_type
            return model

        return register

    def upcaster(self, name: str, *, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function turning a `from_version` payload into `from_version + 1`."""

        def register(function: Upcaster) -> Upcaster:
            self._upcasters[(name, from_version)] = function
            return function

        return register

    def get(self, name: str, version: int) -> EventType:
        try:
            return self._types[(name, version)]
        except KeyError:
            raise UnknownEventType(f"{name} v{version}") from None

    def latest(self, name: str) -> EventType:
        versions = [v for (n, v) in self._types if n == name]
        if not versions:
            raise UnknownEventType(name)
        return self._types[(name, max(versions))]

    def type_of(self, payload: BaseModel) -> EventType:
        return self.type_of_model(type(payload))

    def type_of_model(self, model: type[BaseModel]) -> EventType:
        try:
            return self._by_model[model]
        except KeyError:
            raise UnknownEventType(model.__name__) from None

    def all(self) -> list[EventType]:
        return sorted(self._types.values(), key=lambda t: (t.context, t.aggregate_type, t.name, t.version))

    def topics(self) -> list[str]:
        return sorted({t.topic for t in self._types.values()})

    def envelope(
        self,
        payload: BaseModel,
        *,
        aggregate_id: UUID,
        aggregate_version: int,
        workspace_id: UUID | None,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
        trace: TraceContext | None = None,
    ) -> EventEnvelope:
        """Wrap a registered payload in a new envelope."""
        event_type = self.type_of(payload)
        return EventEnvelope(
            event_type=event_type.name,
            schema_version=event_type.version,
            aggregate_type=event_type.aggregate_type,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            workspace_id=workspace_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
            trace=trace,
            payload=payload.model_dump(mode="json"),
        )

    def encoded(
        self,
        events: Sequence[tuple[type[BaseModel], UUID, int, str]],
        *,
        workspace_id: UUID | None,
        trace: TraceContext | None = None,
    ) -> list[EncodedEvent]:
        """New events whose payloads are JSON already, `(model, aggregate_id, aggregate_version,
        payload_json)` each, in their envelopes' JSON. A sync page's products are serialised
        once, for their fingerprints and mirror rows; parsing that JSON into a payload dict,
        validating it in an envelope and serialising it again was two fifths of the catalog's
        own work per product. One envelope per model is validated and serialised per call
        (the events of one call occur at one instant), and each event's id, aggregate,
        version and payload are set into a copy of its JSON. A payload is the caller's
        `model_dump_json()` of its `model` (the catalog's tests decode it back into one)."""
        occurred_at, templates = utc_now(), dict[type[BaseModel], _Template]()
        encoded = []
        for model, aggregate_id, version, payload_json in events:
            if version < 1 or not (payload_json.startswith("{") and payload_json.endswith("}")):
                raise ValueError("an event has a version from 1 and a JSON object for its payload")
            template = templates.get(model)
            if template is None:
                template = templates[model] = _Template.of(self.type_of_model(model), workspace_id, occurred_at, trace)
            encoded.append(template.event(new_event_id(), aggregate_id, version, payload_json))
        return encoded

    def decode(self, envelope: EventEnvelope) -> BaseModel:
        """The envelope's payload as the latest registered model, upcasting old versions."""
        name, version, payload = envelope.event_type, envelope.schema_version, envelope.payload
        self.get(name, version)
        latest = self.latest(name).version
        while version < latest:
            upcast = self._upcasters.get((name, version))
            if upcast is None:
                raise UnknownEventType(f"no upcaster for {name} v{version} -> v{version + 1}")
            payload, version = upcast(payload), version + 1
        return self.get(name, version).payload_model.model_validate(payload)

    def json_schemas(self) -> dict[str, dict[str, Any]]:
        """JSON Schema (2020-12) of every registered payload, keyed `Name.vN`."""
        return {t.schema_id: t.payload_model.model_json_schema() for t in self.all()}


CATALOG = EventCatalog()
"""The catalog of every event ADLY publishes; `adly_events.contracts` fills it."""


# Stand-ins for an event's own fields in an envelope's JSON, as (key, value, what follows),
# found once per call and cut out.
_ID, _AGGREGATE, _VERSION = UUID(int=0xE1D), UUID(int=0xA66), 2_000_000_017
_SLOTS = (('"event_id":"', str(_ID), '"'), ('"aggregate_id":"', str(_AGGREGATE), '"'),
          ('"aggregate_version":', str(_VERSION), ","), ('"payload":', "{}", "}"))


@dataclass(frozen=True)
class _Template:
    """An envelope's JSON cut where its event's id, aggregate, version and payload go."""

    event_type: EventType
    workspace_id: UUID | None
    occurred_at: datetime
    pieces: tuple[str, ...]  # the JSON before each slot

    @classmethod
    def of(cls, event_type: EventType, workspace_id: UUID | None, occurred_at: datetime,
           trace: TraceContext | None) -> _Template:
        rest = EventEnvelope(event_id=_ID, event_type=event_type.name, schema_version=event_type.version,
                             aggregate_type=event_type.aggregate_type, aggregate_id=_AGGREGATE,
                             aggregate_version=_VERSION, workspace_id=workspace_id, occurred_at=occurred_at,
                             trace=trace, payload={}).model_dump_json()
        pieces = []
        for key, value, after in _SLOTS:
            before, found, rest = rest.partition(key + value + after)
            if not found or key + value in rest:
                raise RuntimeError(f"an envelope's JSON has not exactly one {key}{value}")
            pieces.append(before + key)
            rest = after + rest
        if rest != "}":  # `payload` is the envelope's last field
            raise RuntimeError("an envelope's JSON goes on after its payload")
        return cls(event_type, workspace_id, occurred_at, tuple(pieces))

    def event(self, event_id: UUID, aggregate_id: UUID, version: int, payload_json: str) -> EncodedEvent:
        before_id, before_aggregate, before_version, before_payload = self.pieces
        text = f"{before_id}{event_id}{before_aggregate}{aggregate_id}{before_version}{version}{before_payload}{payload_json}}}"
        return EncodedEvent(event_id, self.event_type.name, self.event_type.version, self.event_type.aggregate_type,
                            aggregate_id, version, self.workspace_id, self.occurred_at, text)
