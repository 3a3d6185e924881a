"""A fake OpenAI API: Responses (`POST /v1/responses`) and GPT Image (`POST /v1/images/generations`,
`POST /v1/images/edits`), in the real wire format, for the official SDK pointed at it.

Bearer key checked (401 `invalid_api_key`); every answer carries `x-request-id`,
`openai-processing-ms` and the `x-ratelimit-*` headers; errors are `{"error": {message, type,
param, code}}`: 429 `rate_limit_exceeded` with `retry-after` vs 429 `insufficient_quota`,
5xx `server_error`; a refusal is a `refusal` content part (text) or a 400 `moderation_blocked`
(images).

GPT Image sizes are checked per model as the real API documents them (openai-python 3.51
`resources/images.py`, `size`; MicrosoftDocs/azure-ai-docs for the pixel and edge limits):
every GPT Image model takes 1024x1024, 1024x1536, 1536x1024 and `auto`; gpt-image-2 (and its
snapshot, and the 2.5 models) any WIDTHxHEIGHT whose sides are multiples of 16, with an aspect
ratio between 1:3 and 3:1, a longest edge of at most 3840 and 655,360 to 8,294,400 (3840x2160)
pixels. A refused size is a 400 `{"error": {"message": "Invalid size '<size>'. <why>", "type":
"image_generation_user_error", "param": "size", "code": "invalid_value"}}`: the message of the
divisibility rule and the type and code are users' captures of real bodies (found with the
search tool), the other rules' wording and `param` are ours. gpt-image-1 (shut down on 23
October 2026) and DALL-E (retired) are a 404 `model_not_found`; gpt-image-2 refuses
`input_fidelity` ("omit this parameter"). Usage splits `input_tokens_details` and
`output_tokens_details` into text and image tokens (`types/images_response.py`); gpt-image-2
reports some text output tokens (its planning), the older models none.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections import deque
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.scripted import Recorded, ScriptedFake, fake_copy, fake_png, words_in

STANDARD_SIZES = {"1024x1024", "1024x1536", "1536x1024", "auto"}
IMAGE_TOKENS = {"low": 272, "medium": 1056, "high": 4160}   # a 1024x1024 image; others in proportion to pixels
PLANNING_TOKENS = 48                                           # gpt-image-2's text output tokens per image
SHUT_DOWN = {"gpt-image-1", "dall-e-2", "dall-e-3"}
SIZE_RULE = {"step": 16, "aspect": 3, "edge": 3840, "min_pixels": 655_360, "max_pixels": 3840 * 2160}


class FakeOpenAI(ScriptedFake):
    model_served = "gpt-5.4-mini-2026-03-17"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._answers: deque[Any] = deque()
        super().__init__(*args, **kwargs)

    def answer_next(self, value: Any, times: int = 1) -> None:
        """The model's next answers to /v1/responses: this JSON, as structured output would
        return it (`output_text` holding the object), instead of the ad copy it writes."""
        with self._lock:
            self._answers.extend([value] * times)

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._answers.clear()

    def _scripted_answer(self) -> Any:
        with self._lock:
            return self._answers.popleft() if self._answers else None

    def routes(self) -> list[Route]:
        return [
            self.route("/v1/responses", self._responses),
            self.route("/v1/images/generations", self._generate),
            self.route("/v1/images/edits", self._edit),
        ]

    # -- wire form of trouble ----------------------------------------------------------------
    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"x-request-id": f"req_{uuid.uuid4().hex}", "openai-processing-ms": "42",
                "openai-version": "2020-10-01", "x-ratelimit-limit-requests": "5000",
                "x-ratelimit-remaining-requests": "4999", "x-ratelimit-reset-requests": "12ms",
                "x-ratelimit-limit-tokens": "4000000", "x-ratelimit-remaining-tokens": "3999000",
                "x-ratelimit-reset-tokens": "15ms", **(extra or {})}

    def error(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        if body is None:
            kind = "server_error" if status >= 500 else "invalid_request_error"
            body = _error(f"The server had an error while processing your request ({status}).", kind)
        return JSONResponse(body, status, headers=self.headers(headers))

    def rate_limited(self, retry_after: float | None, kind: str | None) -> Response:
        unit = kind or "requests"
        wait = {} if retry_after is None else {"retry-after": f"{retry_after:g}",
                                               f"x-ratelimit-reset-{unit}": f"{int(retry_after * 1000)}ms"}
        message = (f"Rate limit reached for {self.model_served} in organization org-fake on {unit} per min. "
                   f"Please try again in {retry_after or 1}s.")
        return JSONResponse(_error(message, unit, code="rate_limit_exceeded"), 429,
                            headers=self.headers({f"x-ratelimit-remaining-{unit}": "0", **wait}))

    def quota_exhausted(self, kind: str | None = None) -> Response:
        message = ("You exceeded your current quota, please check your plan and billing details. For more information "
                   "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.")
        return JSONResponse(_error(message, "insufficient_quota", code="insufficient_quota"), 429, headers=self.headers())

    def authorised(self, recorded: Recorded) -> Response | None:
        given = recorded.headers.get("authorization", "")
        if given == f"Bearer {self.api_key}":
            return None
        key = given.removeprefix("Bearer ")
        message = (f"Incorrect API key provided: {key[:3]}***{key[-2:]}. You can find your API key at "
                   "https://platform.openai.com/account/api-keys.")
        return JSONResponse(_error(message, "invalid_request_error", code="invalid_api_key"), 401, headers=self.headers())

    # -- answers -----------------------------------------------------------------------------
    async def _responses(self, recorded: Recorded, mode: str | None) -> Response:
        body = recorded.json or {}
        if not body.get("model") or "input" not in body:
            return self.error(400, _error("Missing required parameter: 'model' or 'input'.", "invalid_request_error"))
        prompt = f"{body.get('instructions') or ''}\n{_input_text(body['input'])}"
        scripted = self._scripted_answer() if mode is None else None
        if mode == "refuse":
            part = {"type": "refusal", "refusal": "I'm sorry, but I can't help with that request."}
        elif mode == "malformed:content":
            part = _text_part("Sure! Here are three great headlines for your product: 1. Amazing 2. Great")
        elif scripted is not None:
            part = _text_part(_json(scripted))
        else:
            part = _text_part(_json(fake_copy(prompt, _ctas(body))))
        text = part.get("text") or part.get("refusal", "")
        return JSONResponse(self._response_object(body, part, words_in(prompt), words_in(text)), headers=self.headers())

    def _response_object(self, body: dict[str, Any], part: dict[str, Any], tokens_in: int, tokens_out: int) -> dict:
        reasoning = 64 if body.get("reasoning") else 0
        return {
            "id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": int(time.time()),
            "status": "completed", "completed_at": int(time.time()), "error": None, "incomplete_details": None,
            "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
            "model": self.model_served, "parallel_tool_calls": True, "previous_response_id": None,
            "reasoning": {"effort": (body.get("reasoning") or {}).get("effort"), "summary": None},
            "store": body.get("store", True), "temperature": 1.0, "text": body.get("text", {"format": {"type": "text"}}),
            "tool_choice": "auto", "tools": [], "top_p": 1.0, "truncation": "disabled", "metadata": {},
            "output": [
                {"id": f"rs_{uuid.uuid4().hex}", "type": "reasoning", "summary": []},
                {"id": f"msg_{uuid.uuid4().hex}", "type": "message", "status": "completed", "role": "assistant",
                 "content": [part]},
            ],
            "usage": {"input_tokens": tokens_in, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": tokens_out + reasoning,
                      "output_tokens_details": {"reasoning_tokens": reasoning},
                      "total_tokens": tokens_in + tokens_out + reasoning},
        }

    async def _generate(self, recorded: Recorded, mode: str | None) -> Response:
        return self._image(recorded.json or {}, mode, image_inputs=0)

    async def _edit(self, recorded: Recorded, mode: str | None) -> Response:
        form = recorded.form or {}
        images = form.get("image[]", form.get("image"))
        if not images:
            return self.error(400, _error("Missing required parameter: 'image'.", "invalid_request_error", param="image"))
        return self._image(form, mode, image_inputs=len(images) if isinstance(images, list) else 1)

    def _image(self, body: dict[str, Any], mode: str | None, image_inputs: int) -> Response:
        model = body.get("model") or "gpt-image-1.5"
        size, quality = body.get("size") or "auto", body.get("quality") or "medium"
        if model in SHUT_DOWN:
            return JSONResponse(_error(f"The model `{model}` does not exist or you do not have access to it.",
                                       "invalid_request_error", code="model_not_found"), 404, headers=self.headers())
        problem = _image_problem(body, model, size)
        if problem:
            return self.error(400, problem)
        if mode == "refuse":
            message = ("Your request was rejected by the safety system. If you believe this is an error, contact us "
                       "at help.openai.com and include the request ID. safety_violations=[sexual].")
            return self.error(400, _error(message, "image_generation_user_error", code="moderation_blocked"))
        width, height = (1024, 1024) if size == "auto" else map(int, size.split("x"))
        content = b"this is not a PNG" if mode == "malformed:content" else fake_png(width, height, body["prompt"])
        text_tokens, image_tokens = words_in(body["prompt"]), 323 * image_inputs
        image_out = round(IMAGE_TOKENS.get(quality, 1056) * width * height / (1024 * 1024))
        text_out = PLANNING_TOKENS if _flexible(model) else 0
        return JSONResponse({
            "created": int(time.time()), "background": "opaque", "output_format": "png", "quality": quality,
            "size": f"{width}x{height}", "data": [{"b64_json": base64.b64encode(content).decode()}],
            "usage": {"input_tokens": text_tokens + image_tokens,
                      "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
                      "output_tokens": image_out + text_out,
                      "output_tokens_details": {"image_tokens": image_out, "text_tokens": text_out},
                      "total_tokens": text_tokens + image_tokens + image_out + text_out},
        }, headers=self.headers())


def _flexible(model: str) -> bool:
    return model == "gpt-image-2" or model.startswith(("gpt-image-2-", "gpt-image-2.5"))


def _image_problem(body: dict[str, Any], model: str, size: str) -> dict | None:
    if not body.get("prompt"):
        return _error("Missing required parameter: 'prompt'.", "invalid_request_error", param="prompt")
    if "response_format" in body:
        return _error("Unknown parameter: 'response_format'.", "invalid_request_error", param="response_format",
                      code="unknown_parameter")
    if "input_fidelity" in body and model.startswith("gpt-image-2"):
        return _error(f"Invalid parameter: 'input_fidelity' is not supported with {model}.", "invalid_request_error",
                      param="input_fidelity", code="unsupported_parameter")
    if size in STANDARD_SIZES:
        return None
    if not _flexible(model):
        return _error(f"Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', '1536x1024', "
                      "and 'auto'.", "invalid_request_error", param="size", code="invalid_value")
    why = size_refusal(size)
    if why:
        return _error(f"Invalid size '{size}'. {why}", "image_generation_user_error", param="size", code="invalid_value")
    return None


def size_refusal(size: str) -> str | None:
    """Why gpt-image-2 refuses a WIDTHxHEIGHT size, in the API's words where they are known."""
    match = re.fullmatch(r"([0-9]+)x([0-9]+)", size)
    if match is None:
        return "Expected WIDTHxHEIGHT, for example '1824x1024'."
    width, height = int(match[1]), int(match[2])
    rule = SIZE_RULE
    if width % rule["step"] or height % rule["step"]:
        return f"Width and height must both be divisible by {rule['step']}."
    if min(width, height) == 0 or max(width, height) > rule["aspect"] * min(width, height):
        return "The aspect ratio must be between 1:3 and 3:1."
    if max(width, height) > rule["edge"]:
        return f"The longest edge must be at most {rule['edge']} pixels."
    if not rule["min_pixels"] <= width * height <= rule["max_pixels"]:
        return f"The total number of pixels must be between {rule['min_pixels']} and {rule['max_pixels']}."
    return None


def _error(message: str, kind: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _input_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    parts = []
    for message in value or []:
        content = message.get("content") if isinstance(message, dict) else None
        parts.append(content if isinstance(content, str) else " ".join(
            c.get("text", "") for c in content or [] if isinstance(c, dict)))
    return "\n".join(parts)


def _ctas(body: dict[str, Any]) -> list[str] | None:
    try:
        schema = body["text"]["format"]["schema"]
        return schema["properties"]["variants"]["items"]["properties"]["call_to_action"]["enum"]
    except (KeyError, TypeError):
        return None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
