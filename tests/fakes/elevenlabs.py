"""A fake ElevenLabs API: `POST /v1/text-to-speech/{voice_id}` and `GET /v1/voices`.

`xi-api-key` checked (401 `invalid_api_key`); `output_format` is a query parameter, any of
the values the API documents (`OUTPUT_FORMATS`: the `TextToSpeechConvertRequestOutputFormat`
enum of the official SDK, elevenlabs 2.78 as pinned, which matches the allowed values of
elevenlabs.io/docs/api-reference/text-to-speech/convert; the older SDK in the search index
lacks the wav ones). The audio is silence as long as the text would take to say at 15
characters a second, really encoded in the asked codec: MPEG Layer III frames at the format's
bitrate, raw 16-bit PCM, G.711 mu-law / A-law bytes, a WAV file, or Ogg Opus (encoded by the
ffmpeg the tests already use). Headers `request-id` and `character-cost` (one a character,
half on flash/turbo). Errors are `{"detail": {status, message}}`: 401 `quota_exceeded`, 429
`too_many_concurrent_requests` / `system_busy`, 400 `max_character_limit_exceeded`, 404
`voice_not_found`; a missing `text` is a FastAPI 422; an output format the API does not know is
a 400 in the shape elevenlabs.io/docs/eleven-api/resources/errors documents for a validation
error (`type` validation_error, `code` and legacy `status` invalid_parameters, `param`,
`request_id`; the status code 400 rather than 422 is UNVERIFIED). Plan tiers (192 kbps MP3 needs
Creator, 44.1 kHz PCM/WAV Pro) are not modelled: every documented format is served.
"""

from __future__ import annotations

import functools
import io
import math
import subprocess
import uuid
import wave
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
OUTPUT_FORMATS = frozenset({
    "alaw_8000", "ulaw_8000",
    "mp3_22050_32", "mp3_24000_48", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128", "mp3_44100_192",
    "opus_48000_32", "opus_48000_64", "opus_48000_96", "opus_48000_128", "opus_48000_192",
    "pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_32000", "pcm_44100", "pcm_48000",
    "wav_8000", "wav_16000", "wav_22050", "wav_24000", "wav_32000", "wav_44100", "wav_48000",
})
MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "opus": "audio/ogg", "pcm": "audio/pcm",
               "ulaw": "audio/basic", "alaw": "audio/alaw"}
SILENCE = {"ulaw": b"\xff", "alaw": b"\xd5"}   # G.711 code words of a zero sample


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
        media = MEDIA_TYPES[output_format.split("_")[0]]
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
        if output_format not in OUTPUT_FORMATS:
            request_id = uuid.uuid4().hex
            return JSONResponse({"detail": {
                "type": "validation_error", "code": "invalid_parameters", "status": "invalid_parameters",
                "message": f"Invalid output format '{output_format}'. Allowed values: {', '.join(sorted(OUTPUT_FORMATS))}.",
                "request_id": request_id, "param": "output_format"}}, 400, headers={"request-id": request_id})
        return None


def audio_of(seconds: float, output_format: str) -> bytes:
    """`seconds` of silence in one of `OUTPUT_FORMATS` (codec_samplerate[_kbps])."""
    codec, *numbers = output_format.split("_")
    rate = int(numbers[0])
    samples = int(seconds * rate)
    if codec == "mp3":
        return mp3_frames(seconds, rate, int(numbers[1]))
    if codec == "opus":
        return ogg_opus(samples, int(numbers[1]))
    if codec in SILENCE:
        return SILENCE[codec] * samples
    pcm = bytes(samples * 2)           # 16-bit little-endian mono
    if codec == "pcm":
        return pcm
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


@functools.lru_cache(maxsize=64)
def ogg_opus(samples: int, kbps: int) -> bytes:
    """Silence as an Ogg Opus stream (48 kHz mono), from the ffmpeg bundled for the video step."""
    import imageio_ffmpeg

    encoded = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         "anullsrc=r=48000:cl=mono", "-t", f"{samples / 48000:.6f}", "-c:a", "libopus", "-b:a", f"{kbps}k",
         "-f", "ogg", "pipe:1"], capture_output=True, check=True, timeout=60)
    return encoded.stdout


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
