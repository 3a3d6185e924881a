"""Anthropic: ad copy through the Messages API, the answer forced into our JSON schema.

Checked in the installed SDK (anthropic 2.10, the one pinned): `AsyncAnthropic(api_key,
base_url, timeout, max_retries)` sends the API key as `Authorization: Bearer` (not the older
`x-api-key`) and `anthropic-version: 2026-10-21`;
`messages.create(model, max_tokens, system, messages, output_config={"format": {"type":
"json_schema", "schema"}})` (structured outputs: the decision here, over JSON-by-instruction
or a forced tool, because the schema is then enforced by the decoder); the `Message` has
`content[].text`, `stop_reason` ("end_turn", "max_tokens", "refusal", ...) with `stop_details`
on a refusal, and `usage {input_tokens, output_tokens, cache_*_input_tokens}`. Exceptions:
`RateLimitError` (429, including `ramp_limit_exceeded` and the spend-limit codes
`enforced_spend_limit_reached` / `contract_spend_limit_reached` in `error.details.error_code`),
`PaymentRequiredError` (402; error type `billing_error`), `OverloadedError` (529), `InternalServerError` (5xx),
`AuthenticationError` (401), `PermissionDeniedError` (403), `APITimeoutError`, `APIConnectionError`.
The SDK's own retries wait whatever `retry-after` says, unbounded; so its `max_retries` is 0
and answered 429/5xx/529 are retried by `common.Retries`, bounded by `max_wait`.
With the search tool: prices per 1M tokens — Sonnet 4.6 $3 / $15, Haiku 4.5 $1 / $5,
Sonnet 5 and 5.5 $2 / $10, Haiku 5.5 $0.10 / $0.50 (prompts under 100k tokens).
UNVERIFIED: "Your credit balance is too low" as a 400 `invalid_request_error` (the long-standing
form, matched on its words as a fallback to the 402 and spend-limit codes).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types import Message

from adly_creative.adapters.providers.common import (
    Closing,
    Retries,
    require_price,
    retry_after,
    retrying,
    token_cost,
    write_copy_once_more_if_malformed,
)
from adly_creative.adapters.providers.parsing import MalformedAnswer
from adly_creative.adapters.providers.prompts import CopyPrompt, build_copy_prompt
from adly_creative.domain.ports import (
    ContentRefused,
    CopyRequest,
    CopyResult,
    ProviderError,
    ProviderQuotaExhausted,
    Usage,
)

NAME = "anthropic"
DEFAULT_MODEL = "claude-sonnet-4-6"
D = Decimal
# USD per 1M tokens: (input, output).
PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "claude-sonnet-4-6": (D("3"), D("15")),
    "claude-sonnet-4-5": (D("3"), D("15")),
    "claude-haiku-4-5": (D("1"), D("5")),
    "claude-sonnet-5": (D("2"), D("10")),
    "claude-sonnet-5-5": (D("2"), D("10")),
    "claude-haiku-5-5": (D("0.10"), D("0.50")),
}
QUOTA_CODES = frozenset({"enforced_spend_limit_reached", "contract_spend_limit_reached",
                         "linked_organization_spend_limit_reached", "linked_organization_billing_unavailable"})


class AnthropicCopywriter(Closing):
    name = NAME

    def __init__(self, api_key: str, *, base_url: str | None = None, model: str = DEFAULT_MODEL,
                 timeout: float = 60.0, max_retries: int = 2, max_wait: float = 10.0,
                 prices: Mapping[str, tuple[Decimal, Decimal]] | None = None, max_tokens: int = 2048,
                 structured: bool = True) -> None:
        """`structured=False` for a model without structured outputs: JSON is then asked in words."""
        self.model = model
        self._price = require_price(dict(prices or PRICES), model, NAME)
        self._retries = Retries(attempts=max_retries + 1, max_wait=max_wait)
        self._max_tokens, self._structured = max_tokens, structured
        self._client = AsyncAnthropic(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

    async def write_copy(self, request: CopyRequest) -> CopyResult:
        prompt = build_copy_prompt(request)
        return await write_copy_once_more_if_malformed(lambda: self._ask(prompt), wanted=prompt.variants,
                                                       provider=NAME)

    async def _ask(self, prompt: CopyPrompt) -> tuple[str, Usage]:
        arguments = self._arguments(prompt)
        message = await retrying(lambda: _call(self._client.messages.create(**arguments)), self._retries)
        if not isinstance(message, Message):
            raise MalformedAnswer("the body is not a message object")
        return answer_text(message), self._usage(message)

    def _arguments(self, prompt: CopyPrompt) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self.model, "max_tokens": self._max_tokens, "system": prompt.instructions,
            "messages": [{"role": "user", "content": prompt.facts}],
        }
        if self._structured:
            arguments["output_config"] = {"format": {"type": "json_schema", "schema": prompt.schema}}
        return arguments

    def _usage(self, message: Message) -> Usage:
        used = message.usage
        # Cache writes and reads are input too; counted at the input price (we set no cache points).
        tokens_in = used.input_tokens + (used.cache_creation_input_tokens or 0) + (used.cache_read_input_tokens or 0)
        return Usage(provider=NAME, model=message.model or self.model, input_tokens=tokens_in,
                     output_tokens=used.output_tokens, cost=token_cost(self._price, tokens_in, used.output_tokens))


def answer_text(message: Message) -> str:
    if message.stop_reason == "refusal":
        details = message.stop_details
        why = (details.explanation or details.category) if details else None
        raise ContentRefused(NAME, f"Claude declined to write this copy ({why or 'no reason given'})")
    if message.stop_reason == "max_tokens":
        raise ProviderError(NAME, "the answer was cut off at max_tokens", retryable=False)
    return "".join(block.text for block in message.content if getattr(block, "type", None) == "text")


async def _call(pending: Any) -> Any:
    try:
        return await pending
    except anthropic.APIResponseValidationError as error:
        raise MalformedAnswer(f"the body did not match the API's schema ({error.message})") from None
    except anthropic.AnthropicError as error:
        raise provider_error(error) from error
    except ValueError as error:  # a 200 whose JSON body does not parse
        raise MalformedAnswer(f"the body is not JSON ({error})") from None


def provider_error(error: anthropic.AnthropicError) -> ProviderError:
    """One SDK exception -> one port error: retry it, fall back, or tell the merchant."""
    if isinstance(error, anthropic.APITimeoutError):
        return ProviderError(NAME, "the request timed out", retryable=True)
    if isinstance(error, anthropic.APIConnectionError):
        return ProviderError(NAME, "Anthropic could not be reached", retryable=True)
    if not isinstance(error, anthropic.APIStatusError):
        return ProviderError(NAME, f"{type(error).__name__}: {error}")
    return _status_error(error)


def _status_error(error: anthropic.APIStatusError) -> ProviderError:
    status, kind = error.status_code, error.type or "error"
    wait = retry_after(error.response.headers)
    if (status == 402 or kind == "billing_error" or error.error_code in QUOTA_CODES
            or "credit balance" in (error.api_message or "").lower()):
        return ProviderQuotaExhausted(NAME, f"the Anthropic account is out of credit ({error.error_code or kind})",
                                      status=status)
    if status == 429:
        return ProviderError(NAME, f"rate limited ({error.error_code or kind})", retryable=True, retry_after=wait,
                             status=status)
    if status in (408, 409) or status >= 500:  # 529 overloaded_error included
        return ProviderError(NAME, f"Anthropic failed ({status} {kind})", retryable=True, retry_after=wait, status=status)
    if status == 401:
        return ProviderError(NAME, "the API key was refused", status=status)
    if status == 403:
        return ProviderError(NAME, f"the API key may not do this ({kind}): {error.api_message}", status=status)
    return ProviderError(NAME, f"the request was rejected ({status} {kind}): {error.api_message}", status=status)
