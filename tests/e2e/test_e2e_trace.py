"""One trace from the gateway through auth, its outbox and Kafka to the gateway's own consumer.

The test is the caller: it sends its own `traceparent`, so every span of that trace is the
request's and nothing else's, then waits on the OTLP receiver (tests/e2e/otlp.py) for them."""

from __future__ import annotations

import secrets

from .conftest import Stack
from .otlp import ReceivedSpan, span_receiver

SERVER, PRODUCER, CONSUMER = 2, 4, 5


def ancestors(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[str]:
    by_id = {s.span_id: s for s in spans}
    chain, parent = [], by_id.get(span.parent_id)
    while parent is not None:
        chain.append(parent.span_id)
        parent = by_id.get(parent.parent_id)
    return chain


def the_journey(trace_id: str):
    """The four spans, once all have arrived: gateway and auth serving, auth's relay
    publishing, the gateway's consumer applying (None until then)."""
    def found(spans: list[ReceivedSpan]):
        ours = [s for s in spans if s.trace_id == trace_id]
        pick = {
            "gateway": [s for s in ours if s.service == "adly-gateway" and s.kind == SERVER],
            "auth": [s for s in ours if s.service == "adly-auth" and s.kind == SERVER],
            "publish": [s for s in ours if s.service == "adly-auth" and s.kind == PRODUCER],
            "consume": [s for s in ours if s.service == "adly-gateway" and s.kind == CONSUMER
                        and "messaging.kafka.offset" in s.attributes],
        }
        return (pick, ours) if all(pick.values()) else None

    return found


def test_creating_a_workspace_is_one_trace_from_the_gateway_to_the_consumer_of_its_event(e2e: Stack):
    owner = e2e.signup(prefix="traced")  # a fresh access token, whatever the session's age
    trace_id, caller = secrets.token_hex(16), secrets.token_hex(8)
    created = e2e.request("POST", "/v1/workspaces", who=owner, json={"name": "traced"},
                          headers={"traceparent": f"00-{trace_id}-{caller}-01"})
    assert created.status_code == 201, created.text

    journey = span_receiver().wait_for(the_journey(trace_id), timeout=60)
    assert journey, f"spans of trace {trace_id} seen: {[(s.service, s.name) for s in span_receiver().all() if s.trace_id == trace_id]}"
    pick, ours = journey
    (gateway,), (auth,) = pick["gateway"], pick["auth"]
    assert gateway.parent_id == caller, "the gateway continues the caller's trace"
    assert auth.parent_id == gateway.span_id, "auth's request is the gateway's child"
    published = {p.span_id for p in pick["publish"] if auth.span_id in ancestors(p, ours)}
    assert published, "the relay publishes in the trace of the request that recorded the event"
    assert any(c.parent_id in published for c in pick["consume"]), "the consumer continues the publish span"
