"""Events of the creative context (topic `adly.creative.generation_job`).

A generation job's life, in order: `CreativeJobAccepted` (or, when the workspace's
quota or spend cap says no, `CreativeGenerationFailed` alone), `CreativeJobStarted`,
one `CreativeJobProgressed` per finished step, then `CreativeGenerated`,
`CreativeGenerationFailed` or `CreativeJobCancelled`. Every event carries the
`request_id` of the request it answers, so a subscriber can follow a job without
keeping state. The aggregate id (and Kafka key) is the job id.
"""

from typing import Literal
from uuid import UUID

from pydantic import Field

from adly_events.catalog import CATALOG
from adly_events.contracts.common import AdPlatform, Contract, Money

job_event = {"version": 1, "context": "creative", "aggregate": "generation_job"}


class AssetReference(Contract):
    asset_id: UUID
    kind: str = Field(description="`image`, `audio` or `video`.")
    format: str = Field(description="e.g. `1:1`, `9:16`, `mp3`.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    product_id: UUID | None = Field(default=None, description="The product the asset shows.")
    media_type: str | None = Field(default=None, description="e.g. `image/png`, `audio/mpeg`, `video/mp4`.")
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    bytes: int | None = Field(default=None, ge=0)


class AdCopy(Contract):
    platform: AdPlatform
    language: str
    headline: str
    primary_text: str
    description: str | None = None
    call_to_action: str
    product_id: UUID | None = Field(default=None, description="The product the copy is about.")


class ProviderUsage(Contract):
    """What one provider call consumed, from the provider's own usage fields."""

    provider: str
    model: str | None = None
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    characters: int = Field(default=0, ge=0)
    images: int = Field(default=0, ge=0)
    credits: str = Field(default="0", description="Stability credits, a decimal string.")
    cost: Money


@CATALOG.event("CreativeJobAccepted", **job_event)
class CreativeJobAccepted(Contract):
    """A generation job was accepted within the workspace's quota and spend cap, and is queued."""

    request_id: UUID
    campaign_id: UUID | None = None
    product_ids: list[UUID] = Field(min_length=1)
    platforms: list[AdPlatform] = Field(min_length=1)
    language: str = Field(pattern=r"^[a-z]{2}$")
    variants_per_platform: int = Field(ge=1, le=10)
    copy_text: bool = Field(default=True, description="Ad copy per platform.")
    image_formats: list[str] = Field(default_factory=list, description="`1:1`, `4:5`, `9:16`, `1.91:1`.")
    voice_over: bool = False
    video: bool = False
    source: Literal["event", "api"]
    requested_by: str | None = Field(default=None, description="User id or `apikey:<id>`; null for an event.")


@CATALOG.event("CreativeJobStarted", **job_event)
class CreativeJobStarted(Contract):
    """A worker took the job; `steps` is the plan it will follow, in order."""

    request_id: UUID
    steps: list[str]


@CATALOG.event("CreativeJobProgressed", **job_event)
class CreativeJobProgressed(Contract):
    """One step of the job finished and its output is stored."""

    request_id: UUID
    step: str = Field(description="e.g. `p0/copy/meta`, `p0/image/9:16`, `p0/voice`, `p0/video`.")
    kind: Literal["copy", "image", "voice", "video"]
    product_id: UUID
    provider: str
    cost: Money
    steps_done: int = Field(ge=1)
    steps_total: int = Field(ge=1)
    assets: list[AssetReference] = Field(default_factory=list)
    copies: list[AdCopy] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list, description="Why generated copy variants were refused.")
    notes: list[str] = Field(default_factory=list, description="Fallbacks, retries, missing photos...")
    usage: list[ProviderUsage] = Field(default_factory=list)


@CATALOG.event("CreativeJobCancelled", **job_event)
class CreativeJobCancelled(Contract):
    """The merchant cancelled the job; finished steps keep their assets, nothing more runs."""

    request_id: UUID
    campaign_id: UUID | None = None
    cancelled_by: str | None = None


@CATALOG.event("CreativeGenerated", **job_event)
class CreativeGenerated(Contract):
    """A generation job produced its creatives."""

    request_id: UUID
    campaign_id: UUID | None = None
    assets: list[AssetReference]
    copies: list[AdCopy]
    provider: str = Field(description="The provider of the copy (or of the first step when there is no copy).")
    cost: Money
    product_ids: list[UUID] = Field(default_factory=list)
    providers: list[str] = Field(default_factory=list, description="Every provider that produced an output.")
    notes: list[str] = Field(default_factory=list)


@CATALOG.event("CreativeGenerationFailed", **job_event)
class CreativeGenerationFailed(Contract):
    """A generation job gave up; `reason` is what the merchant can act on."""

    request_id: UUID
    campaign_id: UUID | None = None
    reason: str
    provider: str | None = None
    code: str | None = Field(default=None, description=(
        "`quota_exhausted`, `spend_cap_reached`, `providers_failed`, `product_unknown`, `invalid_request`, "
        "`internal_error`."))
    cost: Money | None = Field(default=None, description="What the job spent before it gave up.")
