"""An AsyncAPI 3.0 document generated from the catalog, for teams that subscribe to us."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from adly_events.catalog import EventCatalog
from adly_events.envelope import EventEnvelope
from adly_events.topics import dead_letter_topic

ASYNCAPI_VERSION = "3.0.0"


def _channel_id(topic: str) -> str:
    return topic.replace(".", "_")


def _message(event_type) -> dict[str, Any]:
    return {
        "name": event_type.name,
        "title": f"{event_type.name} v{event_type.version}",
        "summary": event_type.description,
        "contentType": "application/json",
        "headers": {"$ref": "#/components/schemas/KafkaHeaders"},
        "payload": {
            "allOf": [
                {"$ref": "#/components/schemas/EventEnvelope"},
                {
                    "type": "object",
                    "properties": {
                        "event_type": {"const": event_type.name},
                        "schema_version": {"const": event_type.version},
                        "aggregate_type": {"const": event_type.aggregate_type},
                        "payload": {"$ref": f"#/components/schemas/{event_type.schema_id}"},
                    },
                },
            ]
        },
        "bindings": {"kafka": {"key": {"type": "string", "format": "uuid", "description": "aggregate_id"}}},
    }


def _headers_schema() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "traceparent": text | {"description": "W3C trace context of the producing operation"},
            "tracestate": text,
            "adly-event-id": text,
            "adly-event-type": text,
            "adly-schema-version": text,
            "content-type": {"const": "application/json"},
        },
    }


def _payload_schemas(catalog: EventCatalog) -> dict[str, Any]:
    """All payload schemas in one pass, so nested models become shared components."""
    event_types = catalog.all()
    keys, definitions = models_json_schema(
        [(EventEnvelope, "validation")] + [(t.payload_model, "validation") for t in event_types],
        ref_template="#/components/schemas/{model}",
    )
    schemas = dict(definitions.get("$defs", {}))
    for t in event_types:
        ref = keys[(t.payload_model, "validation")]["$ref"].rsplit("/", 1)[-1]
        schemas[t.schema_id] = schemas.pop(ref) if ref != t.schema_id else schemas[ref]
    return schemas


def build(catalog: EventCatalog, *, version: str = "1.0.0") -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "KafkaHeaders": _headers_schema(),
    }
    messages: dict[str, Any] = {}
    for event_type in catalog.all():
        channel = _channel_id(event_type.topic)
        message_id = event_type.schema_id.replace(".", "_")
        messages[message_id] = _message(event_type)
        entry = channels.setdefault(
            channel,
            {
                "address": event_type.topic,
                "description": f"Events of the {event_type.context} context's {event_type.aggregate_type} aggregate; "
                f"failed deliveries of a consumer go to `{dead_letter_topic(event_type.topic)}`.",
                "messages": {},
            },
        )
        entry["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
    schemas |= _payload_schemas(catalog)
    for channel, entry in channels.items():
        operations[f"receive_{channel}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"Subscribe to {entry['address']}",
            "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in entry["messages"]],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": catalog.title,
            "version": version,
            "description": "Every event ADLY publishes. JSON on the wire; the message key is the aggregate id; "
            "old schema versions are upcast on read and never edited in place.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
