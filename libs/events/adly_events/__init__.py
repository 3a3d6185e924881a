"""ADLY's published language: what other teams need to subscribe to our topics.

No database code, no broker connection, no business rules: only the envelope, the
payload models, topic names, the key rule and versioning.
"""

from adly_events.catalog import CATALOG, EventCatalog, EventType, UnknownEventType
from adly_events.envelope import EncodedEvent, EventEnvelope, TraceContext, new_event_id
from adly_events.topics import dead_letter_topic, topic_for

__all__ = [
    "CATALOG",
    "EncodedEvent",
    "EventCatalog",
    "EventEnvelope",
    "EventType",
    "TraceContext",
    "UnknownEventType",
    "dead_letter_topic",
    "new_event_id",
    "topic_for",
]
