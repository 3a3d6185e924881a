"""OpenAI: ad copy through the Responses API with structured output, images through GPT Image.

Checked in the installed SDK (openai 3.51, the one pinned): `AsyncOpenAI(api_key, base_url,
timeout, max_retries)`; `responses.create(model, instructions, input, text={"format":
{"type": "json_schema", "name", "schema", "strict"}}, max_output_tokens, reasoning)` returns a
`Response` whose `output` holds `message` items with `output_text` or `refusal` parts,
`status` / `incomplete_details.reason` ("max_output_tokens", "content_filter") and `usage
{input_tokens, output_tokens}`; `images.generate` / `images.edit(image=[...])` return
`data[].b64_json` (GPT Image never returns URLs) and `usage {input_tokens,
input_tokens_details{text_tokens, image_tokens}, output_tokens}`; GPT Image 1.5 takes the sizes
1024x1024, 1024x1536 and 1536x1024, the gpt-image-2 family any WxH in multiples of 16. The
SDK would retry 408/409/429/5xx itself, honouring `retry-after` up to two minutes; we set its
`max_retries` to 0 and retry answered 429/5xx ourselves (`common.Retries`: the same bounded
policy for all four providers, a Retry-After longer than `max_wait` going back to the router).
With the search tool: an image refused by moderation is a 400 with `code: moderation_blocked`,
`type: image_generation_user_error` (a user's capture of the real body); prices of gpt-5.4-mini
($0.75 in / $4.50 out per 1M tokens, OpenAI's price page as copied in June 2026) and
gpt-5.4-nano, gpt-5.4, gpt-5.5 and gpt-image-1.5 ($8 image-in / $32 image-out per 1M).
Copy that is not the JSON asked for (or a body that is no JSON) is asked for once more, both
calls billed (`common.write_copy_once_more_if_malformed`); an image that is no image is a
retryable error for the router.
UNVERIFIED: `content_policy_violation` as a text-side code (kept as a synonym); the prices of
gpt-5-mini, gpt-image-1-mini and of GPT Image text input ($5) — override `prices`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types.responses import Response

from adly_creative.adapters.providers.common import (
    Closing,
    Retries,
    per_million,
    require_price,
    retry_after,
    retrying,
    token_cost,
    usd,
    write_copy_once_more_if_malformed,
)
from adly_creative.adapters.providers.parsing import MalformedAnswer, image_facts
from adly_creative.adapters.providers.prompts import CopyPrompt, build_copy_prompt, build_image_prompt
from adly_creative.domain.ports import (
    ContentRefused,
    CopyRequest,
    CopyResult,
    ImageFormat,
    ImageRequest,
    ImageResult,
    ProviderError,
    ProviderQuotaExhausted,
    Usage,
)

NAME = "openai"
DEFAULT_TEXT_MODEL = "gpt-5.4-mini"
DEFAULT_IMAGE_MODEL = "gpt-image-1.5"
D = Decimal
# USD per 1M tokens: (input, output).
TEXT_PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-5.4-mini": (D("0.75"), D("4.50")),
    "gpt-5.4-nano": (D("0.20"), D("1.25")),
    "gpt-5.4": (D("2.50"), D("15.00")),
    "gpt-5.5": (D("5.00"), D("30.00")),
    "gpt-5-mini": (D("0.25"), D("2.00")),
}
# USD per 1M tokens: (text input, image input, image output).
IMAGE_PRICES: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "gpt-image-1.5": (D("5"), D("8"), D("32")),
    "chatgpt-image-latest": (D("5"), D("8"), D("32")),
    "gpt-image-1-mini": (D("2"), D("2.50"), D("8")),
}
STANDARD_SIZES = {ImageFormat.SQUARE: "1024x1024", ImageFormat.PORTRAIT: "1024x1536",
                  ImageFormat.STORY: "1024x1536", ImageFormat.LANDSCAPE: "1536x1024"}
# The gpt-image-2 family takes any size in multiples of 16: the smallest at or over our own.
FLEXIBLE_SIZES = {ImageFormat.SQUARE: "1088x1088", ImageFormat.PORTRAIT: "1088x1360",
                  ImageFormat.STORY: "1088x1936", ImageFormat.LANDSCAPE: "1216x640"}
REFUSAL_CODES = frozenset({"moderation_blocked", "content_policy_violation", "content_filter"})


def sizes_for(model: str) -> dict[ImageFormat, str]:
    flexible = model == "gpt-image-2" or model.startswith(("gpt-image-2-", "gpt-image-2.5"))
    return FLEXIBLE_SIZES if flexible else STANDARD_SIZES


class OpenAICopywriter(Closing):
    name = NAME

    def __init__(self, api_key: str, *, base_url: str | None = None, model: str = DEFAULT_TEXT_MODEL,
                 timeout: float = 60.0, max_retries: int = 2, max_wait: float = 10.0,
                 prices: Mapping[str, tuple[Decimal, Decimal]] | None = None,
                 reasoning_effort: str | None = "low", max_output_tokens: int = 4000) -> None:
        """`reasoning_effort` applies to reasoning models (the GPT-5 family); None for others."""
        self.model = model
        self._retries = Retries(attempts=max_retries + 1, max_wait=max_wait)
        self._price = require_price(dict(prices or TEXT_PRICES), model, NAME)
        self._reasoning = {"effort": reasoning_effort} if reasoning_effort else None
        self._max_output_tokens = max_output_tokens
        self._client = AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

    async def write_copy(self, request: CopyRequest) -> CopyResult:
        prompt = build_copy_prompt(request)
        return await write_copy_once_more_if_malformed(lambda: self._ask(prompt), wanted=prompt.variants,
                                                       provider=NAME)

    async def _ask(self, prompt: CopyPrompt) -> tuple[str, Usage]:
        arguments = self._arguments(prompt)
        response = await retrying(lambda: _call(self._client.responses.create(**arguments)), self._retries)
        if not isinstance(response, Response):
            raise MalformedAnswer("the body is not a response object")
        return answer_text(response), self._usage(response, prompt)

    def _arguments(self, prompt: CopyPrompt) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self.model,
            "instructions": prompt.instructions,
            "input": prompt.facts,
            "text": {"format": {"type": "json_schema", "name": "ad_copy", "schema": prompt.schema, "strict": True}},
            "max_output_tokens": self._max_output_tokens,
            "store": False,   # nothing to come back to: no need to keep merchants' data at OpenAI
        }
        if self._reasoning:
            arguments["reasoning"] = self._reasoning
        return arguments

    def _usage(self, response: Response, prompt: CopyPrompt) -> Usage:
        used = response.usage
        # No usage block would make the call look free to a spend cap: estimate (4 chars a token).
        tokens_in = used.input_tokens if used else (len(prompt.instructions) + len(prompt.facts)) // 4
        tokens_out = used.output_tokens if used else len(response.output_text) // 4
        return Usage(provider=NAME, model=response.model or self.model, input_tokens=tokens_in,
                     output_tokens=tokens_out, cost=token_cost(self._price, tokens_in, tokens_out))


def answer_text(response: Response) -> str:
    """The JSON the model wrote; a refusal or a cut-off answer is an error, not copy."""
    reason = response.incomplete_details.reason if response.incomplete_details else None
    if reason == "content_filter":
        raise ContentRefused(NAME, "the answer was stopped by OpenAI's content filter")
    if response.status == "failed":
        message = response.error.message if response.error else "no detail"
        raise ProviderError(NAME, f"the response failed: {message}", retryable=True)
    for item in response.output:
        for part in getattr(item, "content", None) or []:
            if getattr(part, "type", None) == "refusal":
                raise ContentRefused(NAME, f"the model refused: {part.refusal}")
    if response.status == "incomplete":
        raise ProviderError(NAME, f"the answer was cut short ({reason})", retryable=False)
    return response.output_text


class OpenAIImageMaker(Closing):
    name = NAME

    def __init__(self, api_key: str, *, base_url: str | None = None, model: str = DEFAULT_IMAGE_MODEL,
                 quality: str = "medium", timeout: float = 120.0, max_retries: int = 2, max_wait: float = 10.0,
                 prices: Mapping[str, tuple[Decimal, Decimal, Decimal]] | None = None,
                 sizes: Mapping[ImageFormat, str] | None = None, with_text: bool = False,
                 use_photos: bool = True) -> None:
        """`use_photos`: with a product photo, edit it into the ad (the real product stays the
        product) instead of drawing one from words. `with_text`: let the model letter the headline."""
        self.model = model
        self._retries = Retries(attempts=max_retries + 1, max_wait=max_wait)
        self._price = require_price(dict(prices or IMAGE_PRICES), model, NAME)
        self._quality, self._with_text, self._use_photos = quality, with_text, use_photos
        self._sizes = dict(sizes or sizes_for(model))
        self._client = AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

    async def make_image(self, request: ImageRequest) -> ImageResult:
        arguments = {"model": self.model, "prompt": build_image_prompt(request, with_text=self._with_text),
                     "size": self._sizes[request.format], "quality": self._quality, "output_format": "png", "n": 1}
        photos = request.product.photos[:1] if self._use_photos else ()
        if photos:
            arguments["prompt"] = "Use the product in the photo as it is. " + arguments["prompt"]
            photo = _photo_file(photos[0])
            call = lambda: _call(self._client.images.edit(image=[photo], **arguments))  # noqa: E731
        else:
            call = lambda: _call(self._client.images.generate(background="opaque", **arguments))  # noqa: E731
        return self._result(await retrying(call, self._retries))

    def _result(self, response: Any) -> ImageResult:
        try:
            content = base64.b64decode(response.data[0].b64_json, validate=True)
            media_type, width, height = image_facts(content)
        except (AttributeError, IndexError, TypeError, ValueError, MalformedAnswer) as error:
            raise ProviderError(NAME, f"the image answer was malformed ({error})", retryable=True) from None
        return ImageResult(content, media_type, width, height, self._usage(response))

    def _usage(self, response: Any) -> Usage:
        used = response.usage
        text_in, image_in, image_out = self._price
        details = used.input_tokens_details if used else None
        text_tokens = details.text_tokens if details else (used.input_tokens if used else 0)
        image_tokens = details.image_tokens if details else 0
        output = used.output_tokens if used else 0
        cost = per_million(text_tokens, text_in) + per_million(image_tokens, image_in) + per_million(output, image_out)
        return Usage(provider=NAME, model=self.model, input_tokens=used.input_tokens if used else 0,
                     output_tokens=output, images=1, cost=usd(cost))


def _photo_file(photo: bytes) -> tuple[str, bytes, str]:
    try:
        media_type = image_facts(photo)[0]
    except MalformedAnswer:
        raise ProviderError(NAME, "the product photo is not a PNG, JPEG or WebP image") from None
    return f"product.{media_type.split('/')[1]}", photo, media_type


async def _call(pending: Any) -> Any:
    """Await an SDK call; its failures come out as the ports' errors."""
    try:
        return await pending
    except openai.APIResponseValidationError as error:
        raise MalformedAnswer(f"the body did not match the API's schema ({error.message})") from None
    except openai.OpenAIError as error:
        raise provider_error(error) from error
    except ValueError as error:  # a 200 whose JSON body does not parse
        raise MalformedAnswer(f"the body is not JSON ({error})") from None


def provider_error(error: openai.OpenAIError) -> ProviderError:
    """One SDK exception -> one port error: retry it, fall back, or tell the merchant."""
    if isinstance(error, openai.APITimeoutError):
        return ProviderError(NAME, "the request timed out", retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return ProviderError(NAME, "OpenAI could not be reached", retryable=True)
    if not isinstance(error, openai.APIStatusError):
        return ProviderError(NAME, f"{type(error).__name__}: {error}")
    return _status_error(error)


def _status_error(error: openai.APIStatusError) -> ProviderError:
    status, code = error.status_code, error.code
    wait = retry_after(error.response.headers)
    detail = f"{status} {code or error.type or ''}".strip()
    if code == "insufficient_quota":
        return ProviderQuotaExhausted(NAME, "the OpenAI account is out of credit (insufficient_quota)", status=status)
    if code in REFUSAL_CODES:
        return ContentRefused(NAME, f"OpenAI's moderation refused the request ({code})", status=status)
    if status == 429:
        return ProviderError(NAME, f"rate limited ({detail})", retryable=True, retry_after=wait, status=status)
    if status == 401:
        return ProviderError(NAME, "the API key was refused", status=status)
    if status in (408, 409) or status >= 500:
        return ProviderError(NAME, f"OpenAI failed ({detail})", retryable=True, retry_after=wait, status=status)
    return ProviderError(NAME, f"the request was rejected ({detail}): {_message(error)}", status=status)


def _message(error: openai.APIStatusError) -> str:
    body = error.body
    return str(body.get("message")) if isinstance(body, dict) and body.get("message") else error.message
