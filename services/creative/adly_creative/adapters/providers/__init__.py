"""The AI providers behind the creative ports: OpenAI (copy, images), Anthropic (copy),
Stability AI (images) and ElevenLabs (voice-overs).

Imported lazily, by name (`from adly_creative.adapters.providers import OpenAICopywriter`):
a deployment without keys, on the offline provider, never loads the SDKs.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "OpenAICopywriter": "openai", "OpenAIImageMaker": "openai",
    "AnthropicCopywriter": "anthropic",
    "StabilityImageMaker": "stability",
    "ElevenLabsSpeaker": "elevenlabs",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
