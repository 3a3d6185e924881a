"""Stability AI: images from the Stable Image REST API (v2beta), through `adly_kit.outbound`.

`POST {base}/v2beta/stable-image/generate/{core|ultra|sd3}`, `Authorization: Bearer`, a
multipart/form-data body even without a file (`prompt`, `negative_prompt`, `aspect_ratio`,
`output_format`, `style_preset` on core and sd3, `model` on sd3, `seed`), `Accept: image/*`:
the image's bytes come back with `finish-reason` (SUCCESS, CONTENT_FILTERED) and `seed`
headers; `Accept: application/json` would give `{image, finish_reason, seed}` (read too).
Errors are `{"id", "name", "errors": [...]}`: 403 `content_moderation` (refused), 402
`payment_required` (out of credits), 429 rate limit (150 requests per 10 s, then a 60 s
time-out), 5xx. Checked with the search tool: the v2beta core reference (fields, aspect ratios
16:9 1:1 21:9 2:3 3:2 4:5 5:4 9:16 9:21, style presets, Accept), a real 402 body
(`name: payment_required`), credits of 3 (core) and 8 (ultra) at $0.01 each.
No 1.91:1 ratio exists: a LANDSCAPE ad is asked as 16:9 (1.78, the closest) and cropped to
1.91:1 by the core, losing about 7% of the height.
UNVERIFIED: credits of the sd3.5 models (large 6.5, large-turbo 4, medium 3.5, flash 2.5);
whether `ultra` takes `style_preset` (not sent); the pixel sizes per ratio (read from the
bytes, never assumed); whether a 429 carries Retry-After (60 s assumed when it does not).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from adly_creative.adapters.providers.common import Retries, retry_after, retrying, usd
from adly_creative.adapters.providers.parsing import MalformedAnswer, image_facts
from adly_creative.adapters.providers.prompts import NEGATIVE_IMAGE_PROMPT, build_image_prompt
from adly_creative.domain.ports import (
    ContentRefused,
    ImageFormat,
    ImageRequest,
    ImageResult,
    ProviderError,
    ProviderQuotaExhausted,
    Usage,
)
from adly_kit.outbound import MIB, NO_RETRY, Outbound, OutboundError, Reply, make_client

NAME = "stability"
ASPECT_RATIOS = {ImageFormat.SQUARE: "1:1", ImageFormat.PORTRAIT: "4:5", ImageFormat.STORY: "9:16",
                 ImageFormat.LANDSCAPE: "16:9"}
CREDITS = {"core": Decimal("3"), "ultra": Decimal("8"), "sd3.5-large": Decimal("6.5"),
           "sd3.5-large-turbo": Decimal("4"), "sd3.5-medium": Decimal("3.5"), "sd3.5-flash": Decimal("2.5")}
STYLE_PRESETS = {"luxurious": "cinematic", "playful": "digital-art", "bold": "enhance",
                 "minimal": "photographic", "friendly": "photographic"}
RATE_LIMIT_TIMEOUT = 60.0   # the documented lock-out after a 429, when no Retry-After says otherwise


class StabilityImageMaker:
    name = NAME

    def __init__(self, api_key: str, *, base_url: str = "https://api.stability.ai", endpoint: str = "core",
                 model: str = "sd3.5-large", outbound: Outbound | None = None, timeout: float = 60.0,
                 max_retries: int = 2, max_wait: float = 10.0, credit_price: Decimal = Decimal("0.01"),
                 credits: Mapping[str, Decimal] | None = None, seed: int | None = None,
                 with_text: bool = False) -> None:
        """`endpoint`: core, ultra or sd3 (then `model` says which SD 3.5). `outbound` is
        shared if given (and then its client's timeout applies), otherwise one is made."""
        if endpoint not in ("core", "ultra", "sd3"):
            raise ValueError(f"{NAME}: unknown endpoint {endpoint!r}")
        priced = model if endpoint == "sd3" else endpoint
        table = dict(credits or CREDITS)
        if priced not in table:
            raise ValueError(f"{NAME}: no credit count for {priced!r}; pass credits={{{priced!r}: ...}}")
        self.model = priced
        self._key, self._endpoint, self._seed, self._with_text = api_key, endpoint, seed, with_text
        self._url = f"{base_url.rstrip('/')}/v2beta/stable-image/generate/{endpoint}"
        self._credits, self._credit_price = table[priced], credit_price
        self._owns_outbound = outbound is None
        self._outbound = outbound or Outbound(make_client(timeout=timeout), max_bytes=30 * MIB, retry=NO_RETRY,
                                              name=NAME)
        self._retries = Retries(attempts=max_retries + 1, max_wait=max_wait)

    async def make_image(self, request: ImageRequest) -> ImageResult:
        fields = self._fields(request)
        content = await retrying(lambda: self._generate(fields), self._retries)
        try:
            media_type, width, height = image_facts(content)
        except MalformedAnswer as error:
            raise ProviderError(NAME, f"the image answer was malformed ({error})", retryable=True) from None
        usage = Usage(provider=NAME, model=self.model, images=1, credits=self._credits,
                      cost=usd(self._credits * self._credit_price))
        return ImageResult(content, media_type, width, height, usage)

    def _fields(self, request: ImageRequest) -> dict[str, tuple[None, str]]:
        fields = {"prompt": build_image_prompt(request, with_text=self._with_text),
                  "aspect_ratio": ASPECT_RATIOS[request.format], "output_format": "png"}
        if not self._with_text:
            fields["negative_prompt"] = NEGATIVE_IMAGE_PROMPT
        if self._endpoint in ("core", "sd3"):
            fields["style_preset"] = STYLE_PRESETS.get(request.brand.tone.lower(), "photographic")
        if self._endpoint == "sd3":
            fields["model"] = self.model
        if self._seed is not None:
            fields["seed"] = str(self._seed)
        # (None, value) parts: multipart form fields without a file, which the API requires.
        return {name: (None, value) for name, value in fields.items()}

    async def _generate(self, fields: dict[str, tuple[None, str]]) -> bytes:
        headers = {"authorization": f"Bearer {self._key}", "accept": "image/*", "stability-client-id": "adly"}
        try:
            reply = await self._outbound.request("POST", self._url, retry=NO_RETRY, headers=headers, files=fields)
        except OutboundError as error:
            raise ProviderError(NAME, str(error), retryable=error.retryable) from error
        if reply.status != 200:
            raise status_error(reply)
        return image_bytes(reply)

    async def aclose(self) -> None:
        if self._owns_outbound:
            await self._outbound.aclose()

    async def __aenter__(self) -> StabilityImageMaker:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


def image_bytes(reply: Reply) -> bytes:
    """The image of a 200, whichever Accept was honoured; a filtered one is a refusal."""
    if reply.headers.get("content-type", "").startswith("application/json"):
        try:
            data = reply.json()
            content, finish = base64.b64decode(data["image"]), data.get("finish_reason")
        except (ValueError, KeyError, TypeError) as error:
            raise ProviderError(NAME, f"the JSON answer was malformed ({error})", retryable=True) from None
    else:
        content, finish = reply.body, reply.headers.get("finish-reason")
    if finish == "CONTENT_FILTERED":
        raise ContentRefused(NAME, "the generated image was filtered by Stability's moderation")
    if finish == "ERROR":
        raise ProviderError(NAME, "the generation ended in an error", retryable=True)
    return content


def status_error(reply: Reply) -> ProviderError:
    status, name, messages = reply.status, *_error_body(reply)
    detail = f"{status} {name}: {'; '.join(messages)}" if messages else f"{status} {name}"
    if status == 402:
        return ProviderQuotaExhausted(NAME, f"the Stability account is out of credits ({detail})", status=status)
    if status == 403 and name == "content_moderation":
        return ContentRefused(NAME, f"Stability's moderation refused the prompt ({detail})", status=status)
    if status == 401:
        return ProviderError(NAME, "the API key was refused", status=status)
    if status == 429:
        wait = retry_after(reply.headers)
        return ProviderError(NAME, f"rate limited ({detail})", retryable=True, status=status,
                             retry_after=RATE_LIMIT_TIMEOUT if wait is None else wait)
    if status >= 500 or status == 408:
        return ProviderError(NAME, f"Stability failed ({detail})", retryable=True, status=status,
                             retry_after=retry_after(reply.headers))
    return ProviderError(NAME, f"the request was rejected ({detail})", status=status)


def _error_body(reply: Reply) -> tuple[str, list[str]]:
    try:
        data: Any = json.loads(reply.body)
    except ValueError:
        return "error", [reply.text[:200]] if reply.body else []
    if not isinstance(data, dict):
        return "error", []
    errors = data.get("errors")
    return str(data.get("name") or "error"), [str(e) for e in errors] if isinstance(errors, list) else []
