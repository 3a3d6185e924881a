"""A fake ElevenLabs API: `POST /v1/text-to-speech/{voice_id}` and `GET /v1/voices`.

`xi-api-key` checked (401 `invalid_api_key`); `output_format` is a query parameter; the audio
is a real MP3 frame sequence (silent MPEG frames at the format's bitrate, as long as the text
would take to say at 15 characters a second) or PCM; headers `request-id` and
`character-cost` (one a character, half on flash/turbo). Errors are `{"detail": {status,
message}}`: 401 `quota_exceeded`, 429 `too_many_concurrent_requests` / `system_busy`, 400
`max_character_limit_exceeded`, 404 `voice_not_found`; a missing `text` is a FastAPI 422.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.scripted import Recorded, ScriptedFake

CHARACTERS_PER_SECOND = 15
LIMITS = {"eleven_multilingual_v2": 10_000, "eleven_flash_v2_5": 40_000, "eleven_turbo_v2_5": 40_000, "eleven_v3": 5_000}
MPEG1_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MPEG2_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
MPEG1_RATES, MPEG2_RATES = (44100, 48000, 32000), (22050, 24000, 16000)
VOICES = {"JBFqnCBsd6RMkjVDRZzb": "George", "21m00Tcm4TlvDq8ikWAM": "Rachel", "Xb7hH8MSUJpSbSDYk0k2": "Alice"}


class FakeElevenLabs(ScriptedFake):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.voices = dict(VOICES)

    def routes(self) -> list[Route]:
        return [self.route("/v1/text-to-speech/{voice_id}", self._speak),
                self.route("/v1/voices", self._voices, methods=("GET",))]

    def error(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        if body is None:
            body = _detail("internal_error" if status >= 500 else "bad_request", f"fake failure {status}")
        return JSONResponse(body, status, headers=self.headers(headers))

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"request-id": uuid.uuid4().hex[:20], **(extra or {})}

    def rate_limited(self, retry_after: float | None, kind: str | None) -> Response:
        kind = kind or "too_many_concurrent_requests"
        message = ("Too many concurrent requests: your plan allows 2 at once." if kind == "too_many_concurrent_requests"
                   else "The system is experiencing heavy traffic, please try again later.")
        wait = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        return JSONResponse(_detail(kind, message), 429, headers=self.headers(wait))

    def quota_exhausted(self, kind: str | None = None) -> Response:
        return JSONResponse(_detail("quota_exceeded", "This request exceeds your quota of 10000. You have 12 credits "
                                    "remaining, while 250 credits are required for this request."), 401,
                            headers=self.headers())

    def authorised(self, recorded: Recorded) -> Response | None:
        if recorded.headers.get("xi-api-key") == self.api_key:
            return None
        return JSONResponse(_detail("invalid_api_key", "Invalid API key"), 401, headers=self.headers())

    async def _voices(self, recorded: Recorded, mode: str | None) -> Response:
        voices = [{"voice_id": vid, "name": name, "category": "premade", "labels": {}} for vid, name in self.voices.items()]
        return JSONResponse({"voices": voices}, headers=self.headers())

    async def _speak(self, recorded: Recorded, mode: str | None) -> Response:
        voice_id = recorded.path.rsplit("/", 1)[1]
        body = recorded.json or {}
        text, model = body.get("text"), body.get("model_id") or "eleven_multilingual_v2"
        output_format = recorded.query.get("output_format", "mp3_44100_128")
        problem = self._problem(voice_id, text, model, output_format)
        if problem is not None:
            return problem
        if mode == "refuse":
            return JSONResponse(_detail("bad_prompt", "Your prompt appears to have violated our Terms of Service."),
                                400, headers=self.headers())
        seconds = len(text) / CHARACTERS_PER_SECOND
        audio = b"<html>gateway says hello</html>" if mode == "malformed:content" else audio_of(seconds, output_format)
        cost = math.ceil(len(text) * (0.5 if "flash" in model or "turbo" in model else 1))
        media = "audio/mpeg" if output_format.startswith("mp3") else "audio/pcm"
        return Response(audio, media_type=media, headers=self.headers({"character-cost": str(cost)}))

    def _problem(self, voice_id: str, text: Any, model: str, output_format: str) -> Response | None:
        if not isinstance(text, str):
            return JSONResponse({"detail": [{"type": "missing", "loc": ["body", "text"], "msg": "Field required",
                                             "input": None}]}, 422, headers=self.headers())
        if voice_id not in self.voices:
            return JSONResponse(_detail("voice_not_found", f"A voice with the voice_id {voice_id} was not found."),
                                404, headers=self.headers())
        limit = LIMITS.get(model, 10_000)
        if len(text) > limit:
            return JSONResponse(_detail("max_character_limit_exceeded", f"Text is {len(text)} characters; the "
                                        f"maximum for {model} is {limit}."), 400, headers=self.headers())
        if not (output_format.startswith("mp3_") or output_format.startswith("pcm_")):
            return JSONResponse(_detail("invalid_output_format", output_format), 400, headers=self.headers())
        return None


def audio_of(seconds: float, output_format: str) -> bytes:
    codec, *numbers = output_format.split("_")
    rate = int(numbers[0])
    if codec == "pcm":
        return bytes(int(seconds * rate) * 2)
    return mp3_frames(seconds, rate, int(numbers[1]))


def mp3_frames(seconds: float, rate: int, kbps: int) -> bytes:
    """Silent, valid MPEG-1/2 Layer III frames (mono, no CRC) at a constant bitrate."""
    mpeg1 = rate in MPEG1_RATES
    rates, bitrates = (MPEG1_RATES, MPEG1_KBPS) if mpeg1 else (MPEG2_RATES, MPEG2_KBPS)
    samples = 1152 if mpeg1 else 576
    header = bytes([0xFF, 0xFB if mpeg1 else 0xF3, (bitrates.index(kbps) << 4) | (rates.index(rate) << 2), 0xC0])
    size = (144 if mpeg1 else 72) * kbps * 1000 // rate
    frame = header + bytes(size - len(header))
    return frame * max(1, round(seconds * rate / samples))


def _detail(status: str, message: str) -> dict[str, Any]:
    return {"detail": {"status": status, "message": message}}
