"""OpenAI: ad copy through the Responses API with structured output, images through GPT Image.

Checked in the installed SDK (openai 3.51, the one pinned): `AsyncOpenAI(api_key, base_url,
timeout, max_retries)`; `responses.create(model, instructions, input, text={"format":
{"type": "json_schema", "name", "schema", "strict"}}, max_output_tokens, reasoning)` returns a
`Response` whose `output` holds `message` items with `output_text` or `refusal` parts,
`status` / `incomplete_details.reason` ("max_output_tokens", "content_filter") and `usage
{input_tokens, output_tokens}`; `images.generate` / `images.edit(image=[...])` return
`data[].b64_json` (GPT Image never returns URLs). The SDK would retry 408/409/429/5xx itself,
honouring `retry-after` up to two minutes; we set its `max_retries` to 0 and retry answered
429/5xx ourselves (`common.Retries`: the same bounded policy for all four providers, a
Retry-After longer than `max_wait` going back to the router).

Images (issue 9), verified in the SDK source, not from memory:
- `openai/types/image_model.py` (openai 3.51.0 installed; the search index's openai/openai-python
  copy is older): "gpt-image-1: GPT Image 1 was shut down on October 23, 2026", DALL-E retired
  May 12, 2026; the list has gpt-image-1.5, gpt-image-2 (+ `-2026-04-21`), gpt-image-2.5-sunburst
  / -flare, 2.6-sunburst / -flare, gpt-image-1-mini, chatgpt-image-latest. gpt-image-2 is ours.
- `openai/resources/images.py`, `size` of generate and edit: gpt-image-2 and the 2.5 models take
  any `WIDTHxHEIGHT`: "Width and height must both be divisible by 16 and the requested aspect
  ratio must be between 1:3 and 3:1", "the maximum supported resolution is `3840x2160`", and it
  "must also satisfy the model's current pixel and edge limits"; the others the standard 1024x1024, 1536x1024, 1024x1536 (and `auto`). The pixel and
  edge limits are numbers in Microsoft's gpt-image-2 docs (MicrosoftDocs/azure-ai-docs PR #779,
  found with the search tool): total pixels 655,360 to 8,294,400 (= 3840x2160), longest edge
  3840. `image_size_problem` holds our sizes to all of it when the client is built.
- `openai/types/images_response.py`, `Usage`: `input_tokens`, `input_tokens_details
  {text_tokens, image_tokens}` (required), `output_tokens`, `total_tokens`, and
  `output_tokens_details {image_tokens, text_tokens}` (optional: absent from the older copy in
  the search index). So text and image tokens are priced apart on both sides; output with no
  details is all image tokens, and input with no details is priced as image input (the dearer:
  a spend cap must not see a call cheaper than it was).
Prices: gpt-5.4-mini $0.75 in / $4.50 out per 1M tokens (OpenAI's price page as copied in June
2026), and gpt-5.4-nano, gpt-5.4, gpt-5.5; gpt-image-1.5 $8 image-in, $32 image-out (the same
page; its $5 text-in is UNVERIFIED); gpt-image-1-mini $2 / $2.50 / $8 (developers.openai.com
model page, via the search tool); gpt-image-2 $5 text-in, $8 image-in, $30 image-out, $10 text-out (third-party copies of
openai.com/api/pricing found with the search tool: robotsatlas.com's ChatGPT Images 2.0 page,
Vercel AI Gateway's $5/$30) — UNVERIFIED against OpenAI's own page. Where no text-output price is
known, text output is priced as image output (the dearer). With the search tool: an image
refused by moderation is a 400 with `code: moderation_blocked`, `type:
image_generation_user_error` (a user's capture of the real body).
Copy that is not the JSON asked for (or a body that is no JSON) is asked for once more, both
calls billed (`common.write_copy_once_more_if_malformed`); an image that is no image is a
retryable error for the router.
UNVERIFIED: `content_policy_violation` as a text-side code (kept as a synonym); the prices of
gpt-5-mini, of the gpt-image-2.5 / 2.6 models (no price: they are refused unless `prices` says),
and every text-output price but gpt-image-2's — override `prices`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

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
DEFAULT_IMAGE_MODEL = "gpt-image-2"
D = Decimal
# USD per 1M tokens: (input, output).
TEXT_PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-5.4-mini": (D("0.75"), D("4.50")),
    "gpt-5.4-nano": (D("0.20"), D("1.25")),
    "gpt-5.4": (D("2.50"), D("15.00")),
    "gpt-5.5": (D("5.00"), D("30.00")),
    "gpt-5-mini": (D("0.25"), D("2.00")),
}


class ImagePrice(NamedTuple):
    """USD per 1M tokens of each kind an image call reports."""

    text_in: Decimal
    image_in: Decimal
    image_out: Decimal
    text_out: Decimal


IMAGE_PRICES: dict[str, ImagePrice] = {
    "gpt-image-2": ImagePrice(D("5"), D("8"), D("30"), D("10")),
    "gpt-image-1.5": ImagePrice(D("5"), D("8"), D("32"), D("32")),
    "chatgpt-image-latest": ImagePrice(D("5"), D("8"), D("32"), D("32")),
    "gpt-image-1-mini": ImagePrice(D("2"), D("2.50"), D("8"), D("8")),
}
STANDARD_SIZES = {ImageFormat.SQUARE: "1024x1024", ImageFormat.PORTRAIT: "1024x1536",
                  ImageFormat.STORY: "1024x1536", ImageFormat.LANDSCAPE: "1536x1024"}
STANDARD_SIZE_VALUES = frozenset({"1024x1024", "1024x1536", "1536x1024", "auto"})
# The gpt-image-2 family takes other sizes (`image_size_problem`): the smallest at or over our own.
FLEXIBLE_SIZES = {ImageFormat.SQUARE: "1088x1088", ImageFormat.PORTRAIT: "1088x1360",
                  ImageFormat.STORY: "1088x1936", ImageFormat.LANDSCAPE: "1216x640"}
# The flexible-size rule (module docstring): multiples of 16, long side at most 3 short sides,
# longest edge 3840, total pixels 655,360 to 3840x2160.
SIZE_STEP, MAX_ASPECT, MAX_EDGE, MIN_PIXELS, MAX_PIXELS = 16, 3, 3840, 655_360, 3840 * 2160
_SIZE = re.compile(r"([0-9]{1,5})x([0-9]{1,5})")
REFUSAL_CODES = frozenset({"moderation_blocked", "content_policy_violation", "content_filter"})


def flexible(model: str) -> bool:
    """The models `images.py` names for arbitrary sizes: gpt-image-2 and its snapshot, and 2.5."""
    return model == "gpt-image-2" or model.startswith(("gpt-image-2-", "gpt-image-2.5"))


def sizes_for(model: str) -> dict[ImageFormat, str]:
    return FLEXIBLE_SIZES if flexible(model) else STANDARD_SIZES


def image_size_problem(model: str, size: str) -> str | None:
    """Why OpenAI would refuse `size` for `model`, or None when it takes it."""
    if size in STANDARD_SIZE_VALUES:
        return None
    if not flexible(model):
        return f"{model} takes only {', '.join(sorted(STANDARD_SIZE_VALUES))}"
    match = _SIZE.fullmatch(size)
    if match is None:
        return "a size is WIDTHxHEIGHT in pixels"
    width, height = int(match[1]), int(match[2])
    if width % SIZE_STEP or height % SIZE_STEP:
        return f"width and height must both be divisible by {SIZE_STEP}"
    if width == 0 or height == 0 or max(width, height) > MAX_ASPECT * min(width, height):
        return "the aspect ratio must be between 1:3 and 3:1"
    if max(width, height) > MAX_EDGE or not MIN_PIXELS <= width * height <= MAX_PIXELS:
        return f"at most {MAX_EDGE} pixels a side and {MIN_PIXELS:,} to {MAX_PIXELS:,} pixels in all"
    return None


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
                 prices: Mapping[str, ImagePrice] | None = None,
                 sizes: Mapping[ImageFormat, str] | None = None, with_text: bool = False,
                 use_photos: bool = True) -> None:
        """`use_photos`: with a product photo, edit it into the ad (the real product stays the
        product) instead of drawing one from words. `with_text`: let the model letter the headline.
        `sizes` the model would refuse are refused here, when the client is built."""
        self.model = model
        self._retries = Retries(attempts=max_retries + 1, max_wait=max_wait)
        self._price = ImagePrice(*require_price(dict(prices or IMAGE_PRICES), model, NAME))
        self._quality, self._with_text, self._use_photos = quality, with_text, use_photos
        self._sizes = dict(sizes_for(model)) | dict(sizes or {})
        for image_format, size in self._sizes.items():
            problem = image_size_problem(model, size)
            if problem:
                raise ValueError(f"{NAME}: {model} would refuse size {size!r} for {image_format.value}: {problem}")
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
        if used is None:
            return Usage(provider=NAME, model=self.model, images=1, cost=usd(Decimal(0)))
        price = self._price
        given_in = getattr(used, "input_tokens_details", None)
        given_out = getattr(used, "output_tokens_details", None)
        # No split given: the dearer kind of each side (module docstring).
        text_in, image_in = (given_in.text_tokens, given_in.image_tokens) if given_in else (0, used.input_tokens)
        text_out, image_out = (given_out.text_tokens, given_out.image_tokens) if given_out else (0, used.output_tokens)
        cost = (per_million(text_in, price.text_in) + per_million(image_in, price.image_in)
                + per_million(image_out, price.image_out) + per_million(text_out, price.text_out))
        return Usage(provider=NAME, model=self.model, input_tokens=used.input_tokens,
                     output_tokens=used.output_tokens, images=1, cost=usd(cost))


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
