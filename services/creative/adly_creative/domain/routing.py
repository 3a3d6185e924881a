"""Which provider does what, in which order, and what to do when one fails.

Per workspace and per modality, an ordered list of provider names. Without a setting the
order is the preferred one below, keeping only providers that have an API key (the
workspace's or the platform's) and always ending with the offline provider, which needs
none; so a workspace with no keys at all gets ["offline"]. A workspace's own order is
kept as written, minus providers that cannot serve the modality or have no key.

After a failure: a retryable error (429, 5xx, timeout) retries the same provider with
exponential backoff, waiting what the provider's Retry-After asked when it said so, up
to `max_attempts` calls; a refusal by moderation, an exhausted account, a rejected key or
any other non-retryable error moves to the next provider at once, as does a Retry-After
longer than we are willing to hold a worker for.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from adly_creative.domain.ports import ContentRefused, ProviderError, ProviderQuotaExhausted


class Modality(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    SPEECH = "speech"
    VIDEO = "video"


OFFLINE = "offline"
PROVIDERS = ("offline", "openai", "anthropic", "stability", "elevenlabs")
NEEDS_KEY = frozenset({"openai", "anthropic", "stability", "elevenlabs"})

# The preferred order per modality; also what each provider can do.
PREFERRED: dict[Modality, tuple[str, ...]] = {
    Modality.TEXT: ("openai", "anthropic", OFFLINE),
    Modality.IMAGE: ("stability", "openai", OFFLINE),
    Modality.SPEECH: ("elevenlabs", OFFLINE),
    Modality.VIDEO: (OFFLINE,),
}

DISPLAY_NAMES = {"offline": "The offline generator", "openai": "OpenAI", "anthropic": "Anthropic",
                 "stability": "Stability AI", "elevenlabs": "ElevenLabs"}


def display_name(provider: str) -> str:
    return DISPLAY_NAMES.get(provider, provider)


def can_serve(provider: str, modality: Modality) -> bool:
    return provider in PREFERRED[modality]


def usable(provider: str, with_keys: set[str] | frozenset[str]) -> bool:
    return provider == OFFLINE or provider in with_keys


def provider_order(modality: Modality, configured: Sequence[str] | None, with_keys: set[str] | frozenset[str]) -> list[str]:
    """The providers to try, in order, for one modality of one workspace."""
    if configured is None:
        return [p for p in PREFERRED[modality] if usable(p, with_keys)]
    order = [p for p in dict.fromkeys(configured) if can_serve(p, modality) and usable(p, with_keys)]
    return order or [OFFLINE]


@dataclass
class ProviderSet:
    """The usable providers of one job, by modality and name (each implements its modality's port)."""

    by_modality: dict[Modality, dict[str, Any]] = field(default_factory=dict)

    def get(self, modality: Modality, name: str) -> Any | None:
        return self.by_modality.get(modality, {}).get(name)

    def names(self) -> set[str]:
        return {name for providers in self.by_modality.values() for name in providers}


def routing_for(configured: Mapping[str, Sequence[str]], with_keys: set[str] | frozenset[str]) -> dict[Modality, list[str]]:
    return {m: provider_order(m, configured.get(m.value), with_keys) for m in Modality}


# -- retries and fallback ---------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3          # calls of one provider, first included
    base_delay: float = 0.5        # seconds; doubles each retry
    max_delay: float = 20.0        # a longer wait (even one the provider asked for) falls back instead


@dataclass(frozen=True)
class Retry:
    delay: float


@dataclass(frozen=True)
class NextProvider:
    why: str


def after_failure(error: ProviderError, attempt: int, policy: RetryPolicy,
                  jitter: Callable[[], float] = random.random) -> Retry | NextProvider:
    """What to do after call number `attempt` (1-based) of a provider raised `error`."""
    if isinstance(error, ContentRefused):
        return NextProvider("refused by content moderation")
    if isinstance(error, ProviderQuotaExhausted):
        return NextProvider("account out of credit")
    if not error.retryable:
        return NextProvider("not retryable")
    if attempt >= policy.max_attempts:
        return NextProvider(f"still failing after {attempt} attempts")
    if error.retry_after is not None:
        if error.retry_after > policy.max_delay:
            return NextProvider(f"asked to wait {error.retry_after:.0f} s")
        return Retry(error.retry_after)
    backoff = policy.base_delay * 2 ** (attempt - 1)
    return Retry(min(backoff * (0.5 + jitter() / 2), policy.max_delay))


# -- what the merchant reads when every provider failed ----------------------------------


@dataclass(frozen=True)
class ProviderFailure:
    """The last thing that went wrong with one provider in one step."""

    provider: str
    kind: str          # refused | out_of_credit | bad_key | unavailable | failed | checks
    detail: str


def failure_of(provider: str, error: ProviderError) -> ProviderFailure:
    if isinstance(error, ContentRefused):
        return ProviderFailure(provider, "refused", error.message)
    if isinstance(error, ProviderQuotaExhausted):
        return ProviderFailure(provider, "out_of_credit", error.message)
    if error.status in (401, 403):
        return ProviderFailure(provider, "bad_key", error.message)
    if error.retryable:
        return ProviderFailure(provider, "unavailable", error.message)
    return ProviderFailure(provider, "failed", error.message)


def explain(failure: ProviderFailure) -> str:
    name = display_name(failure.provider)
    match failure.kind:
        case "refused":
            return f"{name} refused the prompt (content policy); try another product or provider"
        case "out_of_credit":
            return f"{name} says the account behind the API key is out of credit; top it up or change the key in Settings > Creatives"
        case "bad_key":
            return f"{name} rejected the API key; check it in Settings > Creatives"
        case "unavailable":
            return f"{name} is unavailable right now ({failure.detail}); try again later"
        case "checks":
            return f"{name}'s copy failed our checks ({failure.detail}); edit the brand kit or the product data, or try another provider"
    return f"{name} failed ({failure.detail})"


MODALITY_WORDS = {Modality.TEXT: "copy", Modality.IMAGE: "image", Modality.SPEECH: "voice-over", Modality.VIDEO: "video"}


def failure_reason(modality: Modality, failures: Sequence[ProviderFailure]) -> str:
    if not failures:
        return f"No provider is set up for {MODALITY_WORDS[modality]}; check Settings > Creatives"
    if len(failures) == 1:
        return explain(failures[0])
    return f"No provider could make the {MODALITY_WORDS[modality]}: " + "; ".join(explain(f) for f in failures)
