"""What every provider client shares: price tables, usage arithmetic, Retry-After, retries.

Costs are computed from the provider's own usage fields times a price table the caller can
override (prices change more often than code). A model with no price is refused when the
client is built, not discovered at billing time: a spend cap must never see a free call.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TypeVar

from adly_creative.adapters.providers.parsing import MalformedAnswer, parse_variants
from adly_creative.domain.ports import CopyResult, Money, ProviderError, Usage
from adly_kit.outbound import retry_after_seconds

T = TypeVar("T")
MILLION = Decimal(1_000_000)
CENT_FRACTION = Decimal("0.00000001")      # costs are kept to 1e-8 USD: a call costs fractions of a cent
_DATED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")  # gpt-5.4-mini-2026-03-17, claude-haiku-4-5-20251001


class Closing:
    """Each client holds a connection pool: close it at shutdown (`aclose`, or `async with`)."""

    async def aclose(self) -> None:
        await self._client.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


def price_for(prices: Mapping[str, T], model: str) -> T | None:
    """The price of a model, or of the alias a dated snapshot belongs to."""
    if model in prices:
        return prices[model]
    return prices.get(_DATED.sub("", model))


def require_price(prices: Mapping[str, T], model: str, provider: str) -> T:
    price = price_for(prices, model)
    if price is None:
        raise ValueError(f"{provider}: no price for model {model!r}; pass prices={{{model!r}: ...}}")
    return price


def usd(amount: Decimal) -> Money:
    return Money(amount.quantize(CENT_FRACTION), "USD")


def per_million(tokens: int, price: Decimal) -> Decimal:
    return Decimal(tokens) * Decimal(price) / MILLION


def token_cost(price: tuple[Decimal, Decimal], input_tokens: int, output_tokens: int) -> Money:
    per_input, per_output = price
    return usd(per_million(input_tokens, per_input) + per_million(output_tokens, per_output))


def add_usage(first: Usage, second: Usage) -> Usage:
    """Two calls' usage as one: a retried call is paid twice, so it is recorded twice."""
    return replace(
        second,
        input_tokens=first.input_tokens + second.input_tokens,
        output_tokens=first.output_tokens + second.output_tokens,
        characters=first.characters + second.characters,
        images=first.images + second.images,
        credits=first.credits + second.credits,
        cost=Money(first.cost.amount + second.cost.amount, second.cost.currency),
    )


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI, Anthropic) or `retry-after` (seconds or a date)."""
    if not headers:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    return retry_after_seconds(headers)


async def write_copy_once_more_if_malformed(
    ask: Callable[[], Awaitable[tuple[str | None, Usage]]], *, wanted: int, provider: str
) -> CopyResult:
    """A malformed answer is asked for once more, at once: the next sample is usually fine,
    and both calls are paid, so both are in the usage. Twice malformed is not retryable:
    the router moves on to the next provider instead of paying a third time."""
    usage: Usage | None = None
    last: MalformedAnswer | None = None
    for _ in range(2):
        try:
            text, used = await ask()
            usage = used if usage is None else add_usage(usage, used)
            return CopyResult(parse_variants(text, wanted=wanted), usage)
        except MalformedAnswer as error:
            last = error
    raise ProviderError(provider, f"the answer was not the JSON asked for, twice: {last}", retryable=False)


@dataclass(frozen=True)
class Retries:
    """Our own bounded retries, for the clients whose SDK does not retry (ElevenLabs' audio
    stream) or that have no SDK (Stability). Only answered failures (429, 5xx) are retried
    here: a timed-out generation may still have been made and billed, so that decision is
    left to the router."""

    attempts: int = 3            # first try included
    max_wait: float = 10.0       # a longer Retry-After goes back to the router to schedule
    base_delay: float = 0.5

    def wait(self, error: ProviderError, attempt: int) -> float | None:
        if not error.retryable or error.status is None or attempt >= self.attempts:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_wait else None
        return self.base_delay * (2 ** (attempt - 1)) * (0.75 + random.random() / 2)


async def retrying(call: Callable[[], Awaitable[T]], retries: Retries) -> T:
    attempt = 1
    while True:
        try:
            return await call()
        except ProviderError as error:
            wait = retries.wait(error, attempt)
            if wait is None:
                raise
        await asyncio.sleep(wait)
        attempt += 1
