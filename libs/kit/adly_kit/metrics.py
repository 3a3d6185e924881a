"""Prometheus metrics of the event backbone, shared by every service (`/metrics`)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter(
    "adly_events_appended_total", "Events appended to the event store.", ["schema", "aggregate_type"]
)
EVENTS_PUBLISHED = Counter(
    "adly_events_published_total", "Outbox events acknowledged by the broker.", ["schema", "topic"]
)
EVENTS_CONSUMED = Counter(
    "adly_events_consumed_total", "Events a consumer applied, or skipped as already applied.",
    ["consumer", "topic", "outcome"],
)
EVENTS_FAILED = Counter(
    "adly_events_failed_total", "Handler attempts that raised, before any retry.", ["consumer", "topic"]
)
EVENTS_DEAD_LETTERED = Counter(
    "adly_events_dead_lettered_total", "Records sent to a dead-letter topic.", ["consumer", "topic"]
)
RELAY_LAG_EVENTS = Gauge("adly_relay_lag_events", "Committed outbox rows not yet published.", ["schema"])
RELAY_LAG_SECONDS = Gauge("adly_relay_lag_seconds", "Age of the oldest unpublished outbox row.", ["schema"])
CONSUMER_LAG = Gauge(
    "adly_consumer_lag_records", "Records behind the partition's high watermark.", ["consumer", "topic", "partition"]
)
HANDLER_SECONDS = Histogram(
    "adly_event_handler_seconds", "Time to apply one event, retries included.", ["consumer", "topic"]
)
