"""The generation job aggregate: queued -> running -> succeeded | failed | cancelled.

Each command checks the rules against the state rebuilt from the job's events and returns
the new events; `apply` is the only place state changes, for replay and new events alike.
A job refused at acceptance (quota, spend cap) has a single event, CreativeGenerationFailed.
Steps complete one at a time; each CreativeJobProgressed carries the step's outputs, so a
job picked up again after a crash knows what is done and what is next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from adly_creative.domain.costs import usd
from adly_creative.domain.limits import Refusal
from adly_creative.domain.plan import JobSpec, Modalities, Step, plan
from adly_creative.domain.ports import ImageFormat
from adly_events.contracts.common import AdPlatform, Contract, Money
from adly_events.contracts.creative import (
    AdCopy,
    AssetReference,
    CreativeGenerated,
    CreativeGenerationFailed,
    CreativeJobAccepted,
    CreativeJobCancelled,
    CreativeJobProgressed,
    CreativeJobStarted,
    ProviderUsage,
)
from adly_kit.errors import Conflict


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


def dollars(amount: Decimal) -> Money:
    return Money(amount=usd(amount), currency="USD")


@dataclass(frozen=True)
class StepOutcome:
    """What one step produced, ready to be recorded."""

    provider: str
    usage: list[ProviderUsage] = field(default_factory=list)
    assets: list[AssetReference] = field(default_factory=list)
    copies: list[AdCopy] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cost_usd: Decimal = Decimal(0)


@dataclass
class GenerationJob:
    id: UUID
    version: int = 0
    status: JobStatus | None = None
    spec: JobSpec | None = None
    workspace_id: UUID | None = None
    request_id: UUID | None = None
    campaign_id: UUID | None = None
    done: dict[str, CreativeJobProgressed] = field(default_factory=dict)
    failure: str | None = None

    @classmethod
    def replay(cls, job_id: UUID, history: list[Contract], workspace_id: UUID | None = None) -> GenerationJob:
        job = cls(job_id, workspace_id=workspace_id)
        for event in history:
            job.apply(event)
        return job

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def workspace(self) -> UUID:
        """The workspace of a job that exists: every recorded job has one."""
        if self.workspace_id is None:
            raise ValueError(f"job {self.id} has no workspace")
        return self.workspace_id

    @property
    def steps(self) -> list[Step]:
        return plan(self.spec) if self.spec else []

    @property
    def spent_usd(self) -> Decimal:
        return usd(sum((p.cost.amount for p in self.done.values()), Decimal(0)))

    def next_step(self) -> Step | None:
        return next((s for s in self.steps if s.key not in self.done), None)

    def copies_of(self, product_index: int) -> list[AdCopy]:
        return [c for key, p in self.done.items() if key.startswith(f"p{product_index}/copy/") for c in p.copies]

    def assets_of(self, product_index: int, kind: str) -> list[AssetReference]:
        return [a for key, p in self.done.items() if key.startswith(f"p{product_index}/") for a in p.assets if a.kind == kind]

    # -- commands ---------------------------------------------------------------------

    def accept(self, spec: JobSpec, refusal: Refusal | None = None) -> list[Contract]:
        if self.exists:
            return []  # the same request again: one job per request
        spec.validate()
        if refusal is not None:
            return self._record(CreativeGenerationFailed(
                request_id=spec.request_id, campaign_id=spec.campaign_id, reason=refusal.reason, code=refusal.code))
        m = spec.modalities
        return self._record(CreativeJobAccepted(
            request_id=spec.request_id, campaign_id=spec.campaign_id, product_ids=list(spec.product_ids),
            platforms=list(spec.platforms), language=spec.language, variants_per_platform=spec.variants,
            copy_text=m.copy_text, image_formats=[f.value for f in m.images], voice_over=m.voice_over, video=m.video,
            source=spec.source, requested_by=spec.requested_by))

    def start(self) -> list[Contract]:
        self._must_be_open()
        if self.status == JobStatus.RUNNING:
            return []  # resumed after a crash: it started already
        return self._record(CreativeJobStarted(request_id=self.request_id, steps=[s.key for s in self.steps]))

    def complete(self, step: Step, outcome: StepOutcome) -> list[Contract]:
        """Record a finished step; the last one also records the whole job's success."""
        if self.status != JobStatus.RUNNING:
            raise Conflict(f"The job is {self.status}; it takes no more steps.")
        if step.key in self.done or step not in self.steps:
            raise Conflict(f"Step {step.key} is done already or not part of this job.")
        events = self._record(CreativeJobProgressed(
            request_id=self.request_id, step=step.key, kind=step.kind, product_id=step.product_id,
            provider=outcome.provider, cost=dollars(outcome.cost_usd), steps_done=len(self.done) + 1,
            steps_total=len(self.steps), assets=outcome.assets, copies=outcome.copies, rejected=outcome.rejected,
            notes=outcome.notes, usage=outcome.usage))
        if self.next_step() is None:
            events += self._record(self._generated())
        return events

    def fail(self, reason: str, *, code: str, provider: str | None = None, spent_in_step: Decimal = Decimal(0)
             ) -> list[Contract]:
        self._must_be_open()
        return self._record(CreativeGenerationFailed(
            request_id=self.request_id, campaign_id=self.campaign_id, reason=reason, provider=provider, code=code,
            cost=dollars(self.spent_usd + spent_in_step)))

    def cancel(self, by: str | None) -> list[Contract]:
        self._must_be_open()
        return self._record(CreativeJobCancelled(request_id=self.request_id, campaign_id=self.campaign_id, cancelled_by=by))

    # -- state ------------------------------------------------------------------------

    def apply(self, event: Contract) -> None:
        self.version += 1
        match event:
            case CreativeJobAccepted():
                self.status, self.spec = JobStatus.QUEUED, spec_of(event, self.workspace_id)
                self.request_id, self.campaign_id = event.request_id, event.campaign_id
            case CreativeJobStarted():
                self.status = JobStatus.RUNNING
            case CreativeJobProgressed(step=key):
                self.done[key] = event
            case CreativeGenerated():
                self.status = JobStatus.SUCCEEDED
            case CreativeGenerationFailed(reason=reason):
                self.status, self.failure = JobStatus.FAILED, reason
                self.request_id, self.campaign_id = event.request_id, event.campaign_id
            case CreativeJobCancelled():
                self.status = JobStatus.CANCELLED

    def _record(self, event: Contract) -> list[Contract]:
        self.apply(event)
        return [event]

    def _must_be_open(self) -> None:
        if not self.exists:
            raise Conflict("No such job.")
        if self.status in TERMINAL:
            raise Conflict(f"The job has {'been ' if self.status == JobStatus.CANCELLED else ''}{self.status} already.")

    def _generated(self) -> CreativeGenerated:
        progressed = [self.done[s.key] for s in self.steps]
        providers = list(dict.fromkeys(p.provider for p in progressed))
        text = next((p.provider for p in progressed if p.kind == "copy"), providers[0])
        return CreativeGenerated(
            request_id=self.request_id, campaign_id=self.campaign_id,
            assets=[a for p in progressed for a in p.assets], copies=[c for p in progressed for c in p.copies],
            provider=text, cost=dollars(self.spent_usd), product_ids=list(self.spec.product_ids) if self.spec else [],
            providers=providers,
            notes=list(dict.fromkeys(n for p in progressed for n in p.notes)))


def spec_of(event: CreativeJobAccepted, workspace_id: UUID | None) -> JobSpec:
    if workspace_id is None:
        raise ValueError("a job's events carry its workspace id")
    return JobSpec(
        workspace_id=workspace_id, request_id=event.request_id, product_ids=tuple(event.product_ids),
        platforms=tuple(AdPlatform(p) for p in event.platforms), language=event.language,
        variants=event.variants_per_platform, campaign_id=event.campaign_id, source=event.source,
        requested_by=event.requested_by,
        modalities=Modalities(copy_text=event.copy_text, images=tuple(ImageFormat(f) for f in event.image_formats),
                              voice_over=event.voice_over, video=event.video))
