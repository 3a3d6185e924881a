"""Events of the creative context (topic `adly.creative.generation_job`)."""

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


class AdCopy(Contract):
    platform: AdPlatform
    language: str
    headline: str
    primary_text: str
    description: str | None = None
    call_to_action: str


@CATALOG.event("CreativeGenerated", **job_event)
class CreativeGenerated(Contract):
    """A generation job produced its creatives."""

    request_id: UUID
    campaign_id: UUID | None = None
    assets: list[AssetReference]
    copies: list[AdCopy]
    provider: str
    cost: Money


@CATALOG.event("CreativeGenerationFailed", **job_event)
class CreativeGenerationFailed(Contract):
    """A generation job gave up; `reason` is what the merchant can act on."""

    request_id: UUID
    campaign_id: UUID | None = None
    reason: str
    provider: str | None = None
