"""A fake Anthropic Messages API (`POST /v1/messages`), in the real wire format.

The key is checked as `x-api-key` or as `Authorization: Bearer` (the form the pinned SDK,
anthropic 2.10, sends an API key in), 401 `authentication_error` otherwise; `anthropic-version`
is required (400);
`max_tokens` required. Answers are `message` objects with `usage`; every reply carries
`request-id` and the `anthropic-ratelimit-*` headers (resets as RFC 3339 times). Errors are
`{"type": "error", "error": {type, message[, details]}, "request_id"}`: 429 `rate_limit_error`
with `retry-after`, 529 `overloaded_error`, 500 `api_error`; out of credit is the 400 "credit
balance is too low" (kind `credit_balance`) or a 429 with `details.error_code`
`enforced_spend_limit_reached` (kind `spend_limit`); a refusal is `stop_reason: "refusal"`.
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.scripted import Recorded, ScriptedFake, fake_copy, words_in

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
               403: "permission_error", 404: "not_found_error", 413: "request_too_large",
               429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}


class FakeAnthropic(ScriptedFake):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._answers: deque[Any] = deque()
        super().__init__(*args, **kwargs)

    def answer_next(self, value: Any, times: int = 1) -> None:
        """The model's next answers: this JSON as the text block, as structured output
        (`output_config.format` json_schema) returns it, instead of the ad copy it writes."""
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
        return [self.route("/v1/messages", self._messages)]

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        reset = (datetime.now(UTC) + timedelta(seconds=1)).isoformat(timespec="seconds").replace("+00:00", "Z")
        return {"request-id": _request_id(), "anthropic-organization-id": "org-fake",
                "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49",
                "anthropic-ratelimit-requests-reset": reset,
                "anthropic-ratelimit-input-tokens-limit": "30000", "anthropic-ratelimit-input-tokens-remaining": "29000",
                "anthropic-ratelimit-input-tokens-reset": reset,
                "anthropic-ratelimit-output-tokens-limit": "8000", "anthropic-ratelimit-output-tokens-remaining": "7900",
                "anthropic-ratelimit-output-tokens-reset": reset, **(extra or {})}

    def error(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        if body is None:
            kind = ERROR_TYPES.get(status, "api_error")
            body = _error(kind, "Overloaded" if status == 529 else f"Fake {kind} ({status})")
        return JSONResponse(body, status, headers=self.headers(headers))

    def rate_limited(self, retry_after: float | None, kind: str | None) -> Response:
        unit = kind or "requests"
        message = (f"This request would exceed the rate limit for your organization (org-fake) of 50 {unit} "
                   "per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.")
        wait = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        return JSONResponse(_error("rate_limit_error", message), 429,
                            headers=self.headers({f"anthropic-ratelimit-{unit}-remaining": "0", **wait}))

    def quota_exhausted(self, kind: str | None = None) -> Response:
        if kind == "spend_limit":
            body = _error("rate_limit_error", "Your organization has reached its monthly usage limit.",
                          details={"error_code": "enforced_spend_limit_reached"})
            return JSONResponse(body, 429, headers=self.headers())
        message = ("Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing "
                   "to upgrade or purchase credits.")
        return JSONResponse(_error("invalid_request_error", message), 400, headers=self.headers())

    def authorised(self, recorded: Recorded) -> Response | None:
        bearer = recorded.headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key not in (recorded.headers.get("x-api-key"), bearer):
            return self.error(401, _error("authentication_error", "invalid x-api-key"))
        if not recorded.headers.get("anthropic-version"):
            return self.error(400, _error("invalid_request_error", "anthropic-version: header is required"))
        return None

    async def _messages(self, recorded: Recorded, mode: str | None) -> Response:
        body = recorded.json or {}
        for field in ("model", "max_tokens", "messages"):
            if field not in body:
                return self.error(400, _error("invalid_request_error", f"{field}: Field required"))
        prompt = f"{_system_text(body.get('system'))}\n{_messages_text(body['messages'])}"
        stop_details = None
        scripted = self._scripted_answer() if mode is None else None
        if mode == "refuse":
            text, stop = "", "refusal"
            stop_details = {"type": "refusal", "category": "general_harms",
                            "explanation": "This request may relate to a harmful area."}
        elif mode == "malformed:content":
            text, stop = "Here are three great headlines for your product: Amazing, Great, Superb.", "end_turn"
        elif scripted is not None:
            text, stop = json.dumps(scripted, ensure_ascii=False), "end_turn"
        else:
            text, stop = json.dumps(fake_copy(prompt, _ctas(body)), ensure_ascii=False), "end_turn"
        return JSONResponse({
            "id": f"msg_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "text", "text": text}] if text else [],
            "stop_reason": stop, "stop_sequence": None, "stop_details": stop_details,
            "usage": {"input_tokens": words_in(prompt), "output_tokens": words_in(text) if text else 1,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "service_tier": "standard"},
        }, headers=self.headers())


def _error(kind: str, message: str, *, details: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if details:
        error["details"] = details
    return {"type": "error", "error": error, "request_id": _request_id()}


def _request_id() -> str:
    return f"req_011C{uuid.uuid4().hex[:20]}"


def _system_text(system: Any) -> str:
    if isinstance(system, str):
        return system
    return " ".join(block.get("text", "") for block in system or [] if isinstance(block, dict))


def _messages_text(messages: list[Any]) -> str:
    parts = []
    for message in messages:
        content = message.get("content")
        parts.append(content if isinstance(content, str) else _system_text(content))
    return "\n".join(parts)


def _ctas(body: dict[str, Any]) -> list[str] | None:
    try:
        schema = body["output_config"]["format"]["schema"]
        return schema["properties"]["variants"]["items"]["properties"]["call_to_action"]["enum"]
    except (KeyError, TypeError):
        return None
