"""A fake Stability AI Stable Image API: `POST /v2beta/stable-image/generate/{core|ultra|sd3}`.

Like the real one: Bearer key (401 `unauthorized`); the body must be multipart/form-data
(JSON or urlencoded get a 400); `prompt` required, `aspect_ratio` and `output_format` from the
documented sets, `model` for sd3; `Accept: image/*` gives PNG bytes with `finish-reason` and
`seed` headers, `Accept: application/json` gives `{image, finish_reason, seed}`. Errors are
`{"id", "name", "errors": [...]}`: 403 `content_moderation`, 402 `payment_required`, 429
`rate_limit_exceeded`. `filter_next()` answers 200 with `finish-reason: CONTENT_FILTERED`.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.scripted import Recorded, ScriptedFake, Step, fake_png

# Pixel sizes per ratio (about one megapixel): the fake's own choice, read back from the bytes.
SIZES = {"1:1": (1024, 1024), "16:9": (1344, 768), "21:9": (1536, 640), "2:3": (832, 1248),
         "3:2": (1248, 832), "4:5": (896, 1120), "5:4": (1120, 896), "9:16": (768, 1344), "9:21": (640, 1536)}
SD3_MODELS = {"sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash"}
NAMES = {400: "bad_request", 401: "unauthorized", 402: "payment_required", 403: "forbidden",
         404: "not_found", 413: "payload_too_large", 422: "invalid_request", 429: "rate_limit_exceeded",
         500: "internal_error", 503: "service_unavailable"}


class FakeStability(ScriptedFake):
    def routes(self) -> list[Route]:
        return [self.route(f"/v2beta/stable-image/generate/{endpoint}", self._serve(endpoint))
                for endpoint in ("core", "ultra", "sd3")]

    def filter_next(self, times: int = 1) -> None:
        self._plan(Step("filter"), times)

    def error(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        if body is None:
            body = _error(NAMES.get(status, "error"), f"fake failure {status}")
        return JSONResponse(body, status, headers=headers)

    def rate_limited(self, retry_after: float | None, kind: str | None) -> Response:
        body = _error("rate_limit_exceeded", "You have exceeded the rate limit of 150 requests within a 10 second "
                      "period, and have been timed out for 60 seconds.")
        return JSONResponse(body, 429, headers={} if retry_after is None else {"retry-after": f"{retry_after:g}"})

    def quota_exhausted(self, kind: str | None = None) -> Response:
        return JSONResponse(_error("payment_required", "You lack sufficient credits to make this request. Please "
                                   "purchase more credits at https://platform.stability.ai/account/credits and "
                                   "try again."), 402)

    def refused(self) -> Response:
        return JSONResponse(_error("content_moderation", "Your request was flagged by our content moderation "
                                   "system, as a result your request was denied and you were not charged."), 403)

    def authorised(self, recorded: Recorded) -> Response | None:
        if recorded.headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return self.error(401, _error("unauthorized", "authorization: invalid or missing header value"))

    def _serve(self, endpoint: str):
        async def serve(recorded: Recorded, mode: str | None) -> Response:
            if recorded.form is None:
                return self.error(400, _error("bad_request", "content-type: must be multipart/form-data"))
            problem = _problem(recorded, endpoint)
            if problem:
                return self.error(400, _error("bad_request", problem))
            if mode == "refuse":
                return self.refused()
            return self._image(recorded, mode)
        return serve

    def _image(self, recorded: Recorded, mode: str | None) -> Response:
        form = recorded.form or {}
        width, height = SIZES[form.get("aspect_ratio", "1:1")]
        content = b"\x89PNG broken" if mode == "malformed:content" else fake_png(width, height, form["prompt"])
        seed = form.get("seed") or str(int(hashlib.sha256(form["prompt"].encode()).hexdigest()[:8], 16))
        finish = "CONTENT_FILTERED" if mode == "filter" else "SUCCESS"
        if recorded.headers.get("accept", "image/*").startswith("application/json"):
            return JSONResponse({"image": base64.b64encode(content).decode(), "finish_reason": finish, "seed": int(seed)})
        return Response(content, media_type="image/png", headers={"finish-reason": finish, "seed": seed})


def _problem(recorded: Recorded, endpoint: str) -> str | None:
    form = recorded.form or {}
    accept = recorded.headers.get("accept", "image/*")
    if not (accept.startswith("image/") or accept.startswith("application/json")):
        return "accept: must be image/* or application/json"
    if not form.get("prompt"):
        return "prompt: cannot be empty"
    if form.get("aspect_ratio", "1:1") not in SIZES:
        return f"aspect_ratio: must be one of {', '.join(SIZES)}"
    formats = ("png", "jpeg") if endpoint == "sd3" else ("png", "jpeg", "webp")
    if form.get("output_format", "png") not in formats:
        return f"output_format: must be one of {', '.join(formats)}"
    if endpoint == "sd3" and form.get("model", "sd3.5-large") not in SD3_MODELS:
        return f"model: must be one of {', '.join(sorted(SD3_MODELS))}"
    return None


def _error(name: str, message: str) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "name": name, "errors": [message]}
