"""Cost in US dollars: exact decimals, and the estimates the spend cap is checked against.

The real cost of a call comes from the provider's own usage fields (the adapters turn
tokens, characters, images or credits into `Usage.cost`). Before a call only an estimate
exists: the figures below are deliberately on the high side of the providers' list prices
for one step of ours (one copy request with a few variants, one image, one short
voice-over). They are UNVERIFIED against current price pages and only gate the cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from adly_creative.domain.ports import Usage

MICRO = Decimal("0.000001")
ZERO = Decimal(0)

# (provider, modality) -> upper estimate of one step, USD.
ESTIMATES: dict[tuple[str, str], Decimal] = {
    ("openai", "text"): Decimal("0.02"),
    ("anthropic", "text"): Decimal("0.03"),
    ("openai", "image"): Decimal("0.25"),
    ("stability", "image"): Decimal("0.10"),
    ("elevenlabs", "speech"): Decimal("0.10"),
}


def estimate(provider: str, modality: str) -> Decimal:
    return ESTIMATES.get((provider, modality), ZERO)


def usd(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(MICRO)


def cost_in_usd(usage: Usage) -> Decimal:
    """A usage's cost in dollars; a cost in another currency is not ours to convert, so it
    counts as zero here and the step says so in its notes (see `foreign_costs`)."""
    return usd(usage.cost.amount) if usage.cost.currency == "USD" else ZERO


def total_usd(usages: Iterable[Usage]) -> Decimal:
    return usd(sum((cost_in_usd(u) for u in usages), ZERO))


def foreign_costs(usages: Iterable[Usage]) -> list[str]:
    return [f"{u.provider} reported a cost in {u.cost.currency}; not counted toward the spend cap"
            for u in usages if u.cost.currency != "USD" and u.cost.amount]
