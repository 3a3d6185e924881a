from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from adly_creative.domain.job import GenerationJob, JobStatus, StepOutcome
from adly_creative.domain.limits import Limits, MonthUsage, refusal_at_acceptance, refusal_before_step
from adly_creative.domain.plan import JobSpec, Modalities, job_id_for, plan
from adly_creative.domain.ports import ImageFormat
from adly_events.contracts.common import AdPlatform
from adly_events.contracts.creative import (
    AdCopy,
    CreativeGenerated,
    CreativeGenerationFailed,
    CreativeJobAccepted,
    CreativeJobCancelled,
)
from adly_kit.errors import Conflict, InvalidInput

WS = uuid4()


def spec(**changes) -> JobSpec:
    values = dict(workspace_id=WS, request_id=uuid4(), product_ids=(uuid4(),), platforms=(AdPlatform.META,),
                  language="ar", variants=2, modalities=Modalities(images=(ImageFormat.SQUARE, ImageFormat.STORY)))
    return JobSpec(**(values | changes))


def accepted(s: JobSpec | None = None) -> GenerationJob:
    s = s or spec()
    job = GenerationJob(s.job_id, workspace_id=WS)
    job.accept(s)
    return job


def copy_outcome(provider="offline", cost="0") -> StepOutcome:
    text = AdCopy(platform=AdPlatform.META, language="ar", headline="عطر", primary_text="عطر عود", call_to_action="SHOP_NOW")
    return StepOutcome(provider=provider, copies=[text], cost_usd=Decimal(cost))


def run_all(job: GenerationJob) -> list:
    events = job.start()
    while (step := job.next_step()) is not None:
        events += job.complete(step, copy_outcome() if step.kind == "copy" else StepOutcome(provider="offline"))
    return events


def test_an_accepted_job_is_queued_with_the_request_details():
    job = GenerationJob(uuid4(), workspace_id=WS)
    events = job.accept(spec(source="event"))
    assert isinstance(events[0], CreativeJobAccepted) and events[0].source == "event"
    assert job.status == JobStatus.QUEUED and job.version == 1


def test_the_plan_puts_copy_first_then_images_then_voice_and_video_per_product():
    s = spec(product_ids=(uuid4(), uuid4()), platforms=(AdPlatform.META, AdPlatform.TIKTOK),
             modalities=Modalities(images=(ImageFormat.STORY,), voice_over=True, video=True))
    assert [st.key for st in plan(s)] == [
        "p0/copy/meta", "p0/copy/tiktok", "p0/image/9:16", "p0/voice", "p0/video",
        "p1/copy/meta", "p1/copy/tiktok", "p1/image/9:16", "p1/voice", "p1/video"]


def test_a_job_runs_its_steps_in_order_and_succeeds_with_every_output():
    job = accepted()
    events = run_all(job)
    assert job.status == JobStatus.SUCCEEDED
    assert [type(e).__name__ for e in events] == ["CreativeJobStarted"] + ["CreativeJobProgressed"] * 3 + ["CreativeGenerated"]
    generated = events[-1]
    assert isinstance(generated, CreativeGenerated) and generated.provider == "offline" and len(generated.copies) == 1


def test_a_replayed_job_resumes_at_its_first_unfinished_step():
    job = accepted()
    history = job.start() + job.complete(job.next_step(), copy_outcome())
    resumed = GenerationJob.replay(job.id, [CreativeJobAccepted.model_validate(job_accepted_event(job))] + history, WS)
    assert resumed.status == JobStatus.RUNNING and resumed.next_step().key == "p0/image/1:1"
    assert resumed.start() == []  # it started already; resuming adds nothing


def job_accepted_event(job: GenerationJob) -> dict:
    again = GenerationJob(job.id, workspace_id=WS)
    return again.accept(job.spec)[0].model_dump()


def test_a_step_cannot_be_recorded_twice():
    job = accepted()
    job.start()
    step = job.next_step()
    job.complete(step, copy_outcome())
    with pytest.raises(Conflict):
        job.complete(step, copy_outcome())


def test_the_total_cost_is_the_sum_of_the_steps():
    job = accepted(spec(modalities=Modalities(images=())))
    job.start()
    events = job.complete(job.next_step(), copy_outcome("openai", "0.0123"))
    assert events[-1].cost.amount == Decimal("0.012300") and events[-1].cost.currency == "USD"


def test_a_queued_job_can_be_cancelled_and_then_takes_no_steps():
    job = accepted()
    assert isinstance(job.cancel("user-1")[0], CreativeJobCancelled)
    assert job.status == JobStatus.CANCELLED
    with pytest.raises(Conflict):
        job.start()


def test_a_running_job_cancelled_between_steps_refuses_the_next_step():
    job = accepted()
    job.start()
    step = job.next_step()
    job.cancel(None)
    with pytest.raises(Conflict, match="cancelled"):
        job.complete(step, copy_outcome())


def test_a_finished_job_cannot_be_cancelled():
    job = accepted()
    run_all(job)
    with pytest.raises(Conflict, match="succeeded already"):
        job.cancel(None)


def test_a_failed_job_carries_the_reason_and_what_it_spent():
    job = accepted()
    job.start()
    job.complete(job.next_step(), copy_outcome("openai", "0.01"))
    failed = job.fail("OpenAI refused the prompt", code="providers_failed", provider="openai", spent_in_step=Decimal("0.02"))[0]
    assert isinstance(failed, CreativeGenerationFailed) and failed.cost.amount == Decimal("0.030000")
    assert job.status == JobStatus.FAILED


def test_the_same_request_twice_is_one_job():
    s = spec()
    assert job_id_for(WS, s.request_id) == s.job_id
    job = accepted(s)
    assert job.accept(s) == []


def test_a_request_without_products_or_outputs_is_invalid():
    with pytest.raises(InvalidInput):
        GenerationJob(uuid4()).accept(spec(product_ids=()))
    with pytest.raises(InvalidInput, match="at least one"):
        GenerationJob(uuid4()).accept(spec(modalities=Modalities(copy_text=False, images=())))


# -- quota and spend cap ------------------------------------------------------------------

LIMITS = Limits(monthly_jobs=10, monthly_spend_cap_usd=Decimal("50"))
NOV = datetime(2026, 11, 20, tzinfo=UTC)


def test_a_job_within_quota_and_cap_is_accepted():
    assert refusal_at_acceptance(LIMITS, MonthUsage(jobs=9, spend_usd=Decimal("49.99")), NOV) is None


def test_a_job_beyond_the_monthly_quota_is_refused_saying_when_it_renews():
    refusal = refusal_at_acceptance(LIMITS, MonthUsage(jobs=10, spend_usd=Decimal(0)), NOV)
    assert refusal.code == "quota_exhausted"
    assert refusal.reason == ("Monthly quota of 10 creative jobs used up; it renews on 1 December, "
                              "or raise it in Settings > Billing")


def test_a_job_is_refused_once_the_spend_cap_is_reached():
    refusal = refusal_at_acceptance(LIMITS, MonthUsage(jobs=0, spend_usd=Decimal("50.00")), NOV)
    assert refusal.reason == "Monthly spend cap of $50.00 reached; raise it in Settings > Billing"


def test_a_step_that_would_exceed_the_cap_is_stopped_but_a_free_step_runs():
    assert refusal_before_step(LIMITS, Decimal("49.90"), Decimal("0.25")).code == "spend_cap_reached"
    assert refusal_before_step(LIMITS, Decimal("49.90"), Decimal("0.10")) is None
    assert refusal_before_step(LIMITS, Decimal("50"), Decimal("0")) is None
