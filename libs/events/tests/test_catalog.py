import os
import time
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel, ValidationError

from adly_events import EventCatalog, EventEnvelope, UnknownEventType, dead_letter_topic, new_event_id, topic_for


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


def test_an_event_encoded_from_its_payload_json_is_the_envelope_it_would_be():
    catalog = catalog_with_two_versions()
    aggregate, workspace = uuid4(), uuid4()
    encoded = catalog.encoded(PriceSetV2, PriceSetV2(amount="1.50", currency="ر.س").model_dump_json(),
                              aggregate_id=aggregate, aggregate_version=3, workspace_id=workspace)
    envelope = EventEnvelope.model_validate_json(encoded.json)
    assert (envelope.event_id, envelope.occurred_at, envelope.event_type, envelope.schema_version) == (
        encoded.event_id, encoded.occurred_at, "PriceSet", 2)
    assert envelope == catalog.envelope(PriceSetV2(amount="1.50", currency="ر.س"), aggregate_id=aggregate,
                                        aggregate_version=3, workspace_id=workspace).model_copy(
        update={"event_id": encoded.event_id, "occurred_at": encoded.occurred_at})
    assert encoded.json == envelope.model_dump_json()  # byte for byte what the envelope itself writes
    with pytest.raises(ValueError, match="JSON object"):
        catalog.encoded(PriceSetV2, '"1.50"', aggregate_id=aggregate, aggregate_version=3, workspace_id=workspace)


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
