"""`content_generation_success_total{type}`: each step a job made, counted by its kind once recorded."""

import uuid

from prometheus_client.parser import text_string_to_metric_families

from adly_creative.entrypoints.runners import JobRunner


def made_by_type(scraped: str) -> dict[str, float]:
    family = next(f for f in text_string_to_metric_families(scraped) if f.name == "content_generation_success")
    return {s.labels["type"]: s.value for s in family.samples if s.name == "content_generation_success_total"}


async def test_a_finished_job_counts_each_step_it_made_by_kind(start_creative):
    async with start_creative(roles=("api", "relay")) as creative:  # no worker: the test runs the job
        ws = uuid.uuid4()
        product = await creative.product(ws)
        started = await creative.start_job(ws, [product], platforms=["meta", "tiktok"],
                                           modalities={"copy": True, "images": ["1:1", "9:16"]})
        job_id = uuid.UUID(started.json()["id"])
        before = made_by_type((await creative.client.get("/metrics/")).text)
        async with creative.adapters.engine.begin() as tx:
            assert await creative.adapters.worklist.claim(tx, "worker-1") == [job_id]
        await JobRunner(creative.adapters).work(job_id, "worker-1")

        assert (await creative.job(ws, job_id))["status"] == "succeeded"
        after = made_by_type((await creative.client.get("/metrics/")).text)
    made = {kind: after[kind] - before.get(kind, 0) for kind in after if after[kind] != before.get(kind, 0)}
    assert made == {"copy": 2, "image": 2}
