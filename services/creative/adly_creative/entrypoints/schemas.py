"""Request and response bodies of the creative API. Requests forbid unknown fields (a typo
is a 422 with its path, not a silent default); responses never carry provider keys."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from adly_creative.domain.ports import ImageFormat
from adly_events.contracts.common import AdPlatform, Money

Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$", examples=["#111827"])]
Word = Annotated[str, Field(min_length=1, max_length=40)]
Language = Literal["ar", "en"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Outputs(Request):
    """What a job makes. A video shows the 9:16 image and plays the voice-over when there is one."""

    copy_text: bool = Field(default=True, alias="copy", description="Ad copy per platform.")
    images: list[ImageFormat] = Field(default_factory=lambda: list(ImageFormat), max_length=4)
    voice_over: bool = False
    video: bool = False

    @field_validator("images")
    @classmethod
    def _distinct(cls, formats: list[ImageFormat]) -> list[ImageFormat]:
        return list(dict.fromkeys(formats))


class NewJob(Request):
    product_ids: list[UUID] = Field(min_length=1, max_length=10, description="One product, or a collection of them.")
    platforms: list[AdPlatform] = Field(min_length=1, max_length=4)
    language: Language
    variants: int = Field(default=3, ge=1, le=10, description="Copy variants per platform.")
    modalities: Outputs = Field(default_factory=Outputs)
    campaign_id: UUID | None = None


class StepOut(BaseModel):
    key: str
    status: Literal["done", "pending"]


class AssetOut(BaseModel):
    id: UUID
    kind: str
    format: str
    media_type: str | None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    bytes: int | None = None
    sha256: str
    product_id: UUID | None = None
    url: str = Field(description="Signed; works without credentials until `url_expires_at`.")
    url_expires_at: datetime


class CopyOut(BaseModel):
    platform: AdPlatform
    language: str
    headline: str
    primary_text: str
    description: str | None = None
    call_to_action: str
    product_id: UUID | None = None


class Failure(BaseModel):
    reason: str = Field(description="What the merchant can do about it.")
    code: str | None = None


class JobOut(BaseModel):
    id: UUID
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    request_id: UUID
    campaign_id: UUID | None
    source: str | None
    product_ids: list[UUID]
    platforms: list[AdPlatform]
    language: str | None
    variants: int | None
    modalities: dict
    steps: list[StepOut]
    steps_done: int
    steps_total: int
    providers: list[str]
    cost: Money
    copies: list[CopyOut]
    assets: list[AssetOut]
    notes: list[str]
    rejected: list[str] = Field(description="Copy variants refused by the checks, and why.")
    failure: Failure | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(BaseModel):
    items: list[JobOut]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last one.")


class UsageOut(BaseModel):
    month: str = Field(examples=["2026-11"])
    jobs: int
    quota: int
    jobs_left: int
    spend: Money
    cap: Money
    renews_at: datetime


class BrandKitIn(Request):
    name: str = Field(min_length=1, max_length=100)
    tone: str = Field(default="friendly", min_length=1, max_length=40, examples=["friendly", "luxurious", "playful", "bold"])
    words_to_use: list[Word] = Field(default_factory=list, max_length=50)
    words_to_avoid: list[Word] = Field(default_factory=list, max_length=100)
    primary_colour: Colour = "#111827"
    secondary_colour: Colour = "#F9FAFB"
    accent_colour: Colour = "#F59E0B"
    heading_font: str | None = Field(default=None, max_length=100)
    body_font: str | None = Field(default=None, max_length=100)
    voice: str | None = Field(default=None, max_length=100, description="ElevenLabs voice id or espeak-ng voice.")
    default_language: Language = "en"
    logo: str | None = Field(default=None, max_length=700_000, description=(
        "Base64 PNG, JPEG or WebP, at most 512 KiB. Leave out to keep the current logo; null removes it."))


class BrandKitOut(BaseModel):
    name: str
    tone: str
    words_to_use: list[str]
    words_to_avoid: list[str]
    primary_colour: str
    secondary_colour: str
    accent_colour: str
    heading_font: str | None
    body_font: str | None
    voice: str | None
    default_language: str
    logo_url: str | None
    updated_at: datetime | None


class SettingsIn(Request):
    routing: dict[Literal["text", "image", "speech"], list[str]] = Field(
        default_factory=dict, description="Provider order per modality; a modality left out gets the default order.")
    monthly_job_quota: int | None = Field(default=None, ge=0, le=1_000_000, description="Null: the platform default.")
    monthly_spend_cap_usd: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=2)
    campaign_outputs: Outputs | None = Field(default=None, description="What a campaign's request gets.")


class ProviderKeyStatus(BaseModel):
    provider: str
    source: Literal["workspace", "platform"]
    updated_at: datetime | None = None


class SettingsOut(BaseModel):
    routing: dict[str, list[str]] = Field(description="The order in use now, per modality.")
    configured_routing: dict[str, list[str]]
    monthly_job_quota: int
    monthly_spend_cap_usd: Decimal
    campaign_outputs: dict
    provider_keys: list[ProviderKeyStatus] = Field(description="Which providers have a key; never the key.")


class ProviderKeyIn(Request):
    api_key: SecretStr = Field(min_length=8, max_length=1000)
