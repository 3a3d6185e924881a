"""What creative generation needs from a provider, in its own words: no HTTP, no SDK here.

Every provider (the offline one, OpenAI, Anthropic, Stability AI, ElevenLabs) implements
one or more of these ports; the router (handlers) picks them per workspace setting and
falls back to the next on failure. A provider reports its own usage; cost comes from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from adly_events.contracts.common import AdPlatform


class ImageFormat(StrEnum):
    """The ad platforms' image shapes (aspect ratios)."""

    SQUARE = "1:1"
    PORTRAIT = "4:5"
    STORY = "9:16"
    LANDSCAPE = "1.91:1"


# Pixel sizes we render (and ask providers for, or crop/resize their output to).
IMAGE_SIZES: dict[ImageFormat, tuple[int, int]] = {
    ImageFormat.SQUARE: (1080, 1080),
    ImageFormat.PORTRAIT: (1080, 1350),
    ImageFormat.STORY: (1080, 1920),
    ImageFormat.LANDSCAPE: (1200, 628),
}


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class BrandKit:
    """A workspace's brand, applied to every modality: text, image, voice and video."""

    name: str
    tone: str = "friendly"                       # e.g. friendly, luxurious, playful, bold
    words_to_use: tuple[str, ...] = ()
    words_to_avoid: tuple[str, ...] = ()
    primary_colour: str = "#111827"              # "#RRGGBB"
    secondary_colour: str = "#F9FAFB"
    accent_colour: str = "#F59E0B"
    logo: bytes | None = None                    # PNG/JPEG bytes
    heading_font: str | None = None              # a font name the renderer knows, else its default
    body_font: str | None = None
    voice: str | None = None                     # provider voice id (ElevenLabs) or espeak-ng voice name
    default_language: str = "en"


@dataclass(frozen=True)
class ProductFacts:
    """What the copy and the images may say about a product: nothing beyond these facts."""

    product_id: str
    name: str
    names: dict[str, str] = field(default_factory=dict)   # language -> name (e.g. ar, en)
    description: str | None = None
    price: Money | None = None
    compare_at_price: Money | None = None                 # a sale: "was" price
    url: str | None = None
    photos: tuple[bytes, ...] = ()                        # product photos, already fetched
    store_name: str | None = None

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.name


@dataclass(frozen=True)
class Usage:
    """What one provider call consumed, from the provider's own usage fields."""

    provider: str
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    characters: int = 0          # speech
    images: int = 0
    credits: Decimal = Decimal(0)  # Stability credits
    cost: Money = Money(Decimal(0), "USD")


@dataclass(frozen=True)
class CopyRequest:
    product: ProductFacts
    brand: BrandKit
    platform: AdPlatform
    language: str                 # ISO 639-1: "ar", "en", ...
    variants: int = 3


@dataclass(frozen=True)
class CopyVariant:
    headline: str
    primary_text: str
    description: str | None
    call_to_action: str           # the platform's CTA enum value, e.g. SHOP_NOW


@dataclass(frozen=True)
class CopyResult:
    variants: list[CopyVariant]
    usage: Usage


@dataclass(frozen=True)
class ImageRequest:
    product: ProductFacts
    brand: BrandKit
    format: ImageFormat
    language: str
    headline: str                 # drawn on the image
    call_to_action_label: str     # e.g. "Shop now" / "تسوق الآن"
    show_price: bool = True


@dataclass(frozen=True)
class ImageResult:
    content: bytes
    media_type: str               # image/png, image/jpeg, image/webp
    width: int
    height: int
    usage: Usage


@dataclass(frozen=True)
class SpeechRequest:
    script: str
    language: str
    brand: BrandKit


@dataclass(frozen=True)
class SpeechResult:
    content: bytes
    media_type: str               # audio/mpeg, audio/wav
    duration_seconds: float
    usage: Usage


@dataclass(frozen=True)
class VideoRequest:
    frames: tuple[bytes, ...]     # images (PNG/JPEG), shown in order with motion
    captions: tuple[str, ...]     # one per frame (may be empty strings)
    language: str
    brand: BrandKit
    voice_over: SpeechResult | None = None
    seconds_per_frame: float = 2.5
    size: tuple[int, int] = (1080, 1920)  # 9:16


@dataclass(frozen=True)
class VideoResult:
    content: bytes
    media_type: str               # video/mp4
    width: int
    height: int
    duration_seconds: float
    has_voice_over: bool
    note: str | None = None       # e.g. "no voice-over: espeak-ng is not installed"


class ProviderError(Exception):
    """A provider failed. `retryable`: the same provider may succeed later (429, 5xx,
    timeouts); otherwise the router falls back to the next provider at once."""

    def __init__(self, provider: str, message: str, *, retryable: bool = False,
                 retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class ContentRefused(ProviderError):
    """The provider's moderation refused the prompt or the output."""


class ProviderQuotaExhausted(ProviderError):
    """The account behind the key is out of credit (OpenAI insufficient_quota, Stability 402,
    ElevenLabs quota_exceeded): not worth retrying, worth falling back."""


class Copywriter(Protocol):
    name: str

    async def write_copy(self, request: CopyRequest) -> CopyResult: ...


class ImageMaker(Protocol):
    name: str

    async def make_image(self, request: ImageRequest) -> ImageResult: ...


class Speaker(Protocol):
    name: str

    async def speak(self, request: SpeechRequest) -> SpeechResult: ...


class VideoMaker(Protocol):
    name: str

    async def make_video(self, request: VideoRequest) -> VideoResult: ...
