"""The concrete providers: the offline set and factories of the keyed clients.

The SDKs' own retries are turned off (max_retries=0): the router retries with backoff
that honours Retry-After and falls back to the next provider, and two layers of retries
would multiply each other's waits. The SDKs load only when a key asks for them.
Base URLs are as each client takes them: OpenAI's with `/v1`, the others without.
"""

from __future__ import annotations

from typing import Any

from adly_creative.adapters.offline import EspeakSpeaker, FfmpegVideoMaker, OfflineCopywriter, PillowImageMaker
from adly_creative.adapters.provider_registry import Factory, ProviderRegistry
from adly_creative.domain.routing import Modality
from adly_creative.settings import CreativeSettings


def offline_providers() -> dict[Modality, Any]:
    return {Modality.TEXT: OfflineCopywriter(), Modality.IMAGE: PillowImageMaker(), Modality.SPEECH: EspeakSpeaker(),
            Modality.VIDEO: FfmpegVideoMaker()}


def _openai_text(key: str, base_url: str | None, timeout: float) -> Any:
    from adly_creative.adapters.providers.openai import OpenAICopywriter

    return OpenAICopywriter(key, base_url=base_url, timeout=timeout, max_retries=0)


def _openai_image(key: str, base_url: str | None, timeout: float) -> Any:
    from adly_creative.adapters.providers.openai import OpenAIImageMaker

    return OpenAIImageMaker(key, base_url=base_url, timeout=timeout, max_retries=0)


def _anthropic_text(key: str, base_url: str | None, timeout: float) -> Any:
    from adly_creative.adapters.providers.anthropic import AnthropicCopywriter

    return AnthropicCopywriter(key, base_url=base_url, timeout=timeout, max_retries=0)


def _stability_image(key: str, base_url: str | None, timeout: float) -> Any:
    from adly_creative.adapters.providers.stability import StabilityImageMaker

    extra = {"base_url": base_url} if base_url else {}
    return StabilityImageMaker(key, timeout=timeout, max_retries=0, **extra)


def _elevenlabs_speech(key: str, base_url: str | None, timeout: float) -> Any:
    from adly_creative.adapters.providers.elevenlabs import ElevenLabsSpeaker

    extra = {"base_url": base_url} if base_url else {}
    return ElevenLabsSpeaker(key, timeout=timeout, max_retries=0, **extra)


FACTORIES: dict[Modality, dict[str, Factory]] = {
    Modality.TEXT: {"openai": _openai_text, "anthropic": _anthropic_text},
    Modality.IMAGE: {"stability": _stability_image, "openai": _openai_image},
    Modality.SPEECH: {"elevenlabs": _elevenlabs_speech},
}


def registry(settings: CreativeSettings) -> ProviderRegistry:
    names = ("openai", "anthropic", "stability", "elevenlabs")
    return ProviderRegistry(
        offline_providers(), FACTORIES,
        platform_keys={n: settings.platform_key(n) for n in names},
        base_urls={n: settings.base_url(n) for n in names}, timeout=settings.provider_timeout_seconds)
