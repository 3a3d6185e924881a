"""What a job asks for, and the steps that produce it, in the order they run.

Per product: the copy of each platform first (images carry its headline, the voice-over
reads it), then each image format, then the voice-over, then the video (which shows the
story image and plays the voice-over). The plan follows from the request alone, so a
job resumed by another worker after a crash finds the same steps and skips the done ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid5

from adly_creative.domain.ports import ImageFormat
from adly_creative.domain.routing import Modality
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput

ALL_FORMATS: tuple[ImageFormat, ...] = tuple(ImageFormat)
LANGUAGES = ("ar", "en")
MAX_PRODUCTS = 10
_JOBS = UUID("5b0c3f0e-7a52-4f1e-9d1c-2f4a8e6b9c01")


@dataclass(frozen=True)
class Modalities:
    copy_text: bool = True
    images: tuple[ImageFormat, ...] = ALL_FORMATS
    voice_over: bool = False
    video: bool = False


@dataclass(frozen=True)
class JobSpec:
    workspace_id: UUID
    request_id: UUID
    product_ids: tuple[UUID, ...]
    platforms: tuple[AdPlatform, ...]
    language: str
    variants: int = 3
    modalities: Modalities = Modalities()
    campaign_id: UUID | None = None
    source: str = "api"            # "event" | "api"
    requested_by: str | None = None

    def validate(self) -> JobSpec:
        """The rules a new request must meet (a recorded job is replayed as it was)."""
        if not 1 <= len(self.product_ids) <= MAX_PRODUCTS:
            raise InvalidInput(f"A job is for 1 to {MAX_PRODUCTS} products.", field="product_ids")
        if len(set(self.product_ids)) != len(self.product_ids):
            raise InvalidInput("A product appears twice.", field="product_ids")
        if not self.platforms:
            raise InvalidInput("Name at least one ad platform.", field="platforms")
        if self.language not in LANGUAGES:
            raise InvalidInput(f"Creatives are made in {' or '.join(LANGUAGES)}.", field="language")
        if not 1 <= self.variants <= 10:
            raise InvalidInput("Ask for 1 to 10 copy variants per platform.", field="variants")
        m = self.modalities
        if not (m.copy_text or m.images or m.voice_over or m.video):
            raise InvalidInput("Ask for at least one of copy, images, voice-over or video.", field="modalities")
        return self

    @property
    def job_id(self) -> UUID:
        return job_id_for(self.workspace_id, self.request_id)


def job_id_for(workspace_id: UUID, request_id: UUID) -> UUID:
    """One job per request: the same CreativesRequested delivered twice, or sent again by
    its producer under a new event id, lands on the same job."""
    return uuid5(_JOBS, f"{workspace_id}:{request_id}")


@dataclass(frozen=True)
class Step:
    key: str                  # "p0/copy/meta", "p0/image/9:16", "p0/voice", "p0/video"
    kind: str                 # copy | image | voice | video
    product_index: int
    product_id: UUID
    platform: AdPlatform | None = None
    format: ImageFormat | None = None

    @property
    def modality(self) -> Modality:
        return {"copy": Modality.TEXT, "image": Modality.IMAGE, "voice": Modality.SPEECH, "video": Modality.VIDEO}[self.kind]


def plan(spec: JobSpec) -> list[Step]:
    steps: list[Step] = []
    m = spec.modalities
    for index, product in enumerate(spec.product_ids):
        p = f"p{index}"
        if m.copy_text:
            steps += [Step(f"{p}/copy/{platform.value}", "copy", index, product, platform=platform) for platform in spec.platforms]
        steps += [Step(f"{p}/image/{fmt.value}", "image", index, product, format=fmt) for fmt in m.images]
        if m.voice_over:
            steps.append(Step(f"{p}/voice", "voice", index, product))
        if m.video:
            steps.append(Step(f"{p}/video", "video", index, product))
    return steps
