"""`/ready` rides out a broker blip but not an outage, nor a missing database; `/health/`
reports every dependency, third-party APIs as last seen by the outbound clients."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adly_kit import health
from adly_kit.app import create_app
from adly_kit.devstack import TansuBroker
from adly_kit.devstack._process import free_port
from adly_kit.health import DEGRADED, DOWN, OK, ExternalApis, Outage, verdict
from adly_kit.outbound import NO_RETRY, Outbound, Unreachable, make_client
from adly_kit.service import Runtime, Service


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# The rule, with a clock the test moves.

def test_a_broker_unreachable_for_less_than_the_grace_is_degraded_then_down_once_past_it():
    clock = Clock()
    outage = Outage(grace_seconds=30, clock=clock)
    assert outage.observe(False) == {"status": DEGRADED, "down_for_seconds": 0.0}
    clock.now += 29.9
    assert outage.observe(False)["status"] == DEGRADED
    clock.now += 0.1
    assert outage.observe(False) == {"status": DOWN, "down_for_seconds": 30.0}


def test_a_broker_back_between_failures_starts_the_grace_again():
    clock = Clock()
    outage = Outage(grace_seconds=30, clock=clock)
    outage.observe(False)
    clock.now += 25
    assert outage.observe(True) == {"status": OK}
    clock.now += 25
    assert outage.observe(False) == {"status": DEGRADED, "down_for_seconds": 0.0}


def test_the_process_is_as_healthy_as_its_worst_check():
    assert verdict({"a": {"status": OK}, "b": {"status": OK}}) == "healthy"
    assert verdict({"a": {"status": OK}, "b": {"status": DEGRADED}}) == "degraded"
    assert verdict({"a": {"status": DOWN}, "b": {"status": DEGRADED}}) == "unhealthy"


def test_disk_below_its_threshold_and_memory_near_its_limit_are_degraded(tmp_path):
    assert health.disk_check(tmp_path / "not" / "made" / "yet", min_free=1)["status"] == OK
    assert health.disk_check(tmp_path, min_free=2**62)["status"] == DEGRADED
    assert health.memory_check(rss=95, limit=100)["status"] == DEGRADED
    assert health.memory_check(rss=50, limit=100)["status"] == OK
    assert health.memory_check(rss=10**12, limit=None)["status"] == OK, "no limit known: reported, not judged"
    assert health.resident_bytes() > 1024 * 1024


def test_a_third_party_is_degraded_while_its_last_call_failed():
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    apis = ExternalApis(now=lambda: moment)
    apis.succeeded("meta")
    moment += timedelta(seconds=1)
    apis.failed("meta", "Unreachable")
    apis.succeeded("tiktok")
    assert apis.check() == {"status": DEGRADED, "apis": {
        "meta": {"status": DEGRADED, "last_success": "2026-01-01T00:00:00+00:00",
                 "last_failure": "2026-01-01T00:00:01+00:00", "error": "Unreachable"},
        "tiktok": {"status": OK, "last_success": "2026-01-01T00:00:01+00:00", "last_failure": None, "error": None},
    }}
    moment += timedelta(seconds=1)
    apis.succeeded("meta")
    assert apis.check()["status"] == OK


async def test_the_outbound_clients_record_each_calls_outcome():
    answers = iter([httpx.Response(200), httpx.Response(503), httpx.Response(404)])
    outbound = Outbound(httpx.AsyncClient(transport=httpx.MockTransport(lambda _: next(answers))),
                        retry=NO_RETRY, name=f"platform-{uuid.uuid4().hex[:6]}")
    api = lambda: health.EXTERNAL_APIS.check()["apis"][outbound.name]  # noqa: E731
    await outbound.request("GET", "https://platform.test/")
    assert api()["status"] == OK
    await outbound.request("GET", "https://platform.test/")
    assert (api()["status"], api()["error"]) == (DEGRADED, "http_503")
    await outbound.request("GET", "https://platform.test/")
    assert api()["status"] == OK, "a 404 is about our request, not the platform's health"

    closed = Outbound(make_client(timeout=2), retry=NO_RETRY, name=outbound.name)
    with pytest.raises(Unreachable):
        await closed.request("GET", f"http://127.0.0.1:{free_port()}/")
    assert (api()["status"], api()["error"]) == (DEGRADED, "Unreachable")


# The probes of a running service, on real Postgres and a broker that really goes away.

def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


async def test_ready_rides_out_a_broker_blip_and_fails_once_the_broker_stays_away(backbone):
    broker = TansuBroker()
    settings = backbone.settings.model_copy(update={"kafka_bootstrap_servers": broker.start()})
    app = create_app(Runtime(Service(name=settings.service_name, catalog=backbone.catalog, migrations=""), settings),
                     ("api",))
    clock = app.state.broker_outage.clock = Clock()
    try:
        async with app.router.lifespan_context(app), client(app) as http:
            ready = await http.get("/ready")
            assert (ready.status_code, ready.json()["status"]) == (200, "ready"), ready.text

            broker.stop()
            blip = await http.get("/ready")
            assert (blip.status_code, blip.json()["status"]) == (200, "degraded"), blip.text
            assert blip.json()["checks"] == {"database": True, "broker": False}
            report = (await http.get("/health/")).json()
            assert report["status"] == "degraded" and report["checks"]["broker"]["status"] == DEGRADED

            clock.now += health.READY_BROKER_GRACE_SECONDS
            outage = await http.get("/ready")
            assert (outage.status_code, outage.json()["status"]) == (503, "unavailable"), outage.text
            assert outage.json()["broker_down_for_seconds"] == health.READY_BROKER_GRACE_SECONDS
            report = await http.get("/health/")
            assert report.status_code == 503 and report.json()["status"] == "unhealthy"
            assert (await http.get("/health")).status_code == 200, "liveness never depends on the broker"
    finally:
        broker.stop()


async def test_without_its_database_a_service_is_not_ready_even_with_the_broker_up(backbone):
    settings = backbone.settings.model_copy(
        update={"database_url": f"postgresql://adly@127.0.0.1:{free_port()}/gone"})
    runtime = Runtime(Service(name=settings.service_name, catalog=backbone.catalog, migrations=""), settings)
    app = create_app(runtime, ("api",))
    await runtime.broker.connect()
    try:
        async with client(app) as http:
            ready, report = await http.get("/ready"), await http.get("/health/")
    finally:
        await runtime.broker.stop()
    assert ready.status_code == 503 and ready.json()["checks"] == {"database": False, "broker": True}, ready.text
    assert report.status_code == 503 and report.json()["checks"]["database"]["status"] == DOWN


async def test_health_slash_reports_status_timestamp_and_every_check(backbone):
    app = create_app(Runtime(Service(name=backbone.settings.service_name, catalog=backbone.catalog, migrations=""),
                             backbone.settings), ("api",))
    async with app.router.lifespan_context(app), client(app) as http:
        answer = await http.get("/health/")
    body = answer.json()
    assert set(body) == {"status", "timestamp", "service", "checks"}
    assert set(body["checks"]) == {"database", "broker", "disk", "memory", "external_apis"}
    assert body["checks"]["database"]["status"] == OK and body["checks"]["broker"] == {"status": OK}
    assert body["status"] in ("healthy", "degraded") and answer.status_code == 200
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    assert body["checks"]["disk"]["free_bytes"] > 0 and body["checks"]["memory"]["rss_bytes"] > 0
    assert Path(health.data_dir(backbone.settings)).is_absolute()
