import os
import time
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel, ValidationError

from adly_events import (
    EventCatalog,
    EventEnvelope,
    TraceContext,
    UnknownEventType,
    dead_letter_topic,
    new_event_id,
    topic_for,
)


class PriceSet(BaseModel):
    cents: int


class PriceSetV2(BaseModel):
    amount: str
    currency: str


def catalog_with_two_versions() -> EventCatalog:
    catalog = EventCatalog()
    catalog.event("PriceSet", version=1, context="catalog", aggregate="product")(PriceSet)
    catalog.event("PriceSet", version=2, context="catalog", aggregate="product")(PriceSetV2)

    @catalog.upcaster("PriceSet", from_version=1)
    def cents_to_decimal(payload):
        return {"amount": f"{payload['cents'] / 100:.2f}", "currency": "SAR"}

    return catalog


def test_an_old_version_in_the_store_is_read_as_the_latest_shape():
    catalog = catalog_with_two_versions()
    old = catalog.envelope(PriceSet(cents=4990), aggregate_id=uuid4(), aggregate_version=1, workspace_id=None)
    assert old.schema_version == 1
    assert catalog.decode(old) == PriceSetV2(amount="49.90", currency="SAR")


def test_events_encoded_from_their_payload_json_are_the_envelopes_they_would_be():
    catalog = catalog_with_two_versions()
    workspace, trace = uuid4(), {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01", "tracestate": "k=v"}
    payloads = [PriceSetV2(amount="1.50", currency="ر.س"), PriceSet(cents=0), PriceSetV2(amount="2", currency="😀")]
    events = [(type(p), uuid4(), n, p.model_dump_json()) for n, p in enumerate(payloads, start=1)]
    encoded = catalog.encoded(events, workspace_id=workspace, trace=TraceContext(**trace))
    for (_, aggregate, version, _), payload, event in zip(events, payloads, encoded, strict=True):
        envelope = EventEnvelope.model_validate_json(event.json)
        expected = catalog.envelope(payload, aggregate_id=aggregate, aggregate_version=version, workspace_id=workspace,
                                    trace=TraceContext(**trace)).model_copy(
            update={"event_id": event.event_id, "occurred_at": event.occurred_at})
        assert envelope == expected and event.json == expected.model_dump_json()  # byte for byte
        assert (event.aggregate_id, event.aggregate_version, event.event_type, event.schema_version) == (
            aggregate, version, "PriceSet", expected.schema_version)
    assert len({e.event_id for e in encoded}) == 3


@pytest.mark.parametrize("version, payload", [(0, "{}"), (1, '"1.50"'), (1, "[]")])
def test_an_encoded_event_needs_a_version_and_an_object_payload(version, payload):
    with pytest.raises(ValueError, match="JSON object"):
        catalog_with_two_versions().encoded([(PriceSetV2, uuid4(), version, payload)], workspace_id=None)


def test_a_registered_version_cannot_be_redefined():
    catalog = catalog_with_two_versions()
    with pytest.raises(ValueError, match="new version"):
        catalog.event("PriceSet", version=1, context="catalog", aggregate="product")(PriceSetV2)


def test_an_unknown_type_or_version_is_refused():
    catalog = catalog_with_two_versions()
    envelope = catalog.envelope(PriceSet(cents=1), aggregate_id=uuid4(), aggregate_version=1, workspace_id=None)
    with pytest.raises(UnknownEventType):
        catalog.decode(envelope.model_copy(update={"schema_version": 9}))
    with pytest.raises(UnknownEventType):
        catalog.decode(envelope.model_copy(update={"event_type": "PriceDeleted"}))


def test_event_ids_are_time_ordered():
    ids = [new_event_id() for _ in range(200)]
    assert ids == sorted(ids)
    assert all(i.version == 7 for i in ids)


def test_occurred_at_is_kept_in_utc_and_naive_times_are_refused():
    riyadh = timezone(timedelta(hours=3))
    envelope = EventEnvelope(
        event_type="PriceSet", schema_version=1, aggregate_type="product", aggregate_id=uuid4(),
        aggregate_version=1, workspace_id=None, occurred_at=datetime(2026, 1, 1, 12, tzinfo=riyadh), payload={},
    )
    assert envelope.occurred_at == datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert envelope.occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        envelope.model_validate(envelope.model_dump() | {"occurred_at": datetime(2026, 1, 1)})


def test_the_envelope_round_trips_through_json_and_is_keyed_by_aggregate():
    catalog = catalog_with_two_versions()
    envelope = catalog.envelope(PriceSetV2(amount="1.00", currency="SAR"), aggregate_id=uuid4(), aggregate_version=3,
                                workspace_id=uuid4(), correlation_id=uuid4())
    assert EventEnvelope.from_json(envelope.to_json()) == envelope
    assert envelope.key == str(envelope.aggregate_id).encode()


def test_topics_are_named_by_context_and_aggregate():
    assert topic_for("campaigns", "ad_set") == "adly.campaigns.ad_set"
    assert dead_letter_topic("adly.campaigns.ad_set") == "adly.campaigns.ad_set.DLT"
    with pytest.raises(ValueError):
        topic_for("Campaigns", "ad set")


def test_event_ids_made_in_one_millisecond_keep_their_order_and_its_time():
    before = time.time_ns() // 1_000_000
    ids = [new_event_id() for _ in range(20_000)]
    after = time.time_ns() // 1_000_000
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(type(i) is UUID for i in ids[:10])  # the standard type: asyncpg, pydantic, json
    # The 48-bit timestamp is the clock's: not pushed ahead by many ids in one millisecond.
    assert before <= ids[0].int >> 80 and ids[-1].int >> 80 <= after


def test_a_forked_process_does_not_repeat_its_parents_event_ids():
    new_event_id()  # the generator is in use before the fork, as in a running service
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.write(write, b"".join(new_event_id().bytes for _ in range(50)))
        os._exit(0)
    os.close(write)
    parent_ids = {new_event_id().bytes for _ in range(50)}
    os.waitpid(child, 0)
    raw = b""
    while chunk := os.read(read, 4096):
        raw += chunk
    os.close(read)
    child_ids = {raw[n:n + 16] for n in range(0, len(raw), 16)}
    assert len(child_ids) == 50
    # Same clock, same generator state at the fork: only the reseed keeps them apart.
    assert {i[6:] for i in child_ids}.isdisjoint({i[6:] for i in parent_ids})
