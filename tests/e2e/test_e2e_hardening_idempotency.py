"""Idempotency-Key across a service killed between its commit and its answer (issue 9, fault injection).

Creative runs as a process under a test-only launcher (`tests/e2e/creative_stall.py`) that
commits the job, prints a line and blocks: the test reads the line and SIGKILLs creative, so
the gateway's request went out and no answer will ever come. The caller retries with the same
key once creative is back: exactly one job exists, and the retry answers with it.

Also: the key is honoured outside a workspace (`POST /v1/workspaces`), scoped to the caller.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from adly_events import CATALOG
from adly_events.contracts.catalog import CatalogProduct, ProductStatus, ProductUpserted, ProductVariant
from adly_events.contracts.common import Money
from tests.e2e.conftest import People, ServiceProcess, Stack, creative_process, eventually, extra_gateway
from tests.e2e.creative_stall import MARKER


def publish_product(e2e: Stack, workspace_id: str) -> str:
    """A product of the workspace, as the catalog publishes it after a sync."""
    product_id = uuid.uuid4()
    product = CatalogProduct(external_id=str(product_id.int % 10**9), name="Oud perfume", status=ProductStatus.ACTIVE,
                             variants=[ProductVariant(external_id="v1", price=Money(amount=Decimal("120"), currency="SAR"))])
    payload = ProductUpserted(store_id=uuid.uuid4(), platform="salla", product=product)
    envelope = CATALOG.envelope(payload, aggregate_id=product_id, aggregate_version=1, workspace_id=uuid.UUID(workspace_id))

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=e2e.broker.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(CATALOG.type_of(payload).topic, envelope.to_json(), key=envelope.key)
        finally:
            await producer.stop()

    asyncio.run(send())
    return str(product_id)


def scalar(e2e: Stack, sql: str, *args: object) -> object:
    async def query() -> object:
        conn = await asyncpg.connect(e2e.database_url)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(query())


@pytest.fixture(scope="module")
def creative(e2e: Stack) -> Iterator[ServiceProcess]:
    service = creative_process(e2e, e2e.gateway_url)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def gateway(e2e: Stack, creative: ServiceProcess) -> Iterator[ServiceProcess]:
    # A long upstream timeout: the stalled request must end by the kill the test decides, never
    # by the gateway's clock.
    gateway = extra_gateway(e2e, "idempotency", ADLY_UPSTREAM_CREATIVE=creative.url, ADLY_UPSTREAM_TIMEOUT_SECONDS="300")
    try:
        yield gateway
    finally:
        gateway.stop()


def test_a_job_committed_by_a_creative_killed_before_it_answered_is_the_job_the_retry_gets(
        e2e: Stack, people: People, creative: ServiceProcess, gateway: ServiceProcess):
    owner = people.owner
    workspace = e2e.create_workspace(owner)
    creative.start([sys.executable, "-m", "tests.e2e.creative_stall", "serve"])
    product_id = publish_product(e2e, workspace)
    known = eventually(lambda: scalar(e2e, "SELECT count(*) FROM creative.products WHERE id = $1", uuid.UUID(product_id)),
                       timeout=60)
    assert known, "creative never learnt of the product"

    url = f"{gateway.url}/v1/workspaces/{workspace}/creatives/jobs"
    body = {"product_ids": [product_id], "platforms": ["meta"], "language": "en", "variants": 1,
            "modalities": {"copy": True, "images": [], "voice_over": False, "video": False}}
    headers = owner.bearer | {"Idempotency-Key": f"job-{secrets.token_hex(8)}"}
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.post, url, json=body, headers=headers, timeout=300)
        creative.wait_for_line(MARKER)  # committed, and blocked before answering
        creative.kill()
        lost = pending.result(timeout=120)
    assert lost.status_code == 502, lost.text
    assert lost.json()["type"].endswith("/outcome-unknown"), lost.text
    jobs_of = "SELECT count(*) FROM creative.jobs WHERE workspace_id = $1"
    assert scalar(e2e, jobs_of, uuid.UUID(workspace)) == 1  # it was committed: only its answer was lost

    creative.start()  # as shipped, on the same port
    retry = httpx.post(url, json=body, headers=headers, timeout=60)
    assert retry.status_code == 202, retry.text
    assert "idempotent-replayed" not in retry.headers  # forwarded again: creative found the job of that key
    job = retry.json()
    listed = httpx.get(url, headers=owner.bearer, timeout=30).json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]
    assert scalar(e2e, jobs_of, uuid.UUID(workspace)) == 1
    replay = httpx.post(url, json=body, headers=headers, timeout=60)
    assert (replay.status_code, replay.headers.get("idempotent-replayed")) == (202, "true")
    assert replay.json()["id"] == job["id"]
    # The same key for another request is refused; a new key is a new job.
    assert httpx.post(url, json=body | {"variants": 2}, headers=headers, timeout=60).status_code == 422
    other = httpx.post(url, json=body, headers=owner.bearer | {"Idempotency-Key": f"job-{secrets.token_hex(8)}"},
                       timeout=60)
    assert other.status_code == 202 and other.json()["id"] != job["id"]


def test_a_workspace_created_under_a_key_is_created_once_for_that_caller(e2e: Stack, people: People):
    key = f"ws-{secrets.token_hex(8)}"
    body = {"name": f"Keyed {secrets.token_hex(3)}"}
    first = e2e.request("POST", "/v1/workspaces", who=people.owner, headers={"Idempotency-Key": key}, json=body)
    again = e2e.request("POST", "/v1/workspaces", who=people.owner, headers={"Idempotency-Key": key}, json=body)
    assert first.status_code == 201, first.text
    assert (again.status_code, again.headers.get("idempotent-replayed")) == (201, "true")
    assert again.json()["id"] == first.json()["id"]
    mine = e2e.request("GET", "/v1/workspaces", who=people.owner).json()
    names = [w["name"] for w in (mine["items"] if isinstance(mine, dict) else mine)]
    assert names.count(body["name"]) == 1
    # Another caller's identical key is another request.
    theirs = e2e.request("POST", "/v1/workspaces", who=people.admin, headers={"Idempotency-Key": key}, json=body)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    changed = e2e.request("POST", "/v1/workspaces", who=people.owner, headers={"Idempotency-Key": key},
                          json={"name": "Another"})
    assert changed.status_code == 422
