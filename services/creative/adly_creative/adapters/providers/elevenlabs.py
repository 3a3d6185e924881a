"""ElevenLabs: voice-overs through the official SDK's text-to-speech, with its raw headers.

Checked in the installed SDK (elevenlabs 2.78, the one pinned): `AsyncElevenLabs(api_key,
base_url, timeout, httpx_client)` sends `xi-api-key`; `text_to_speech.with_raw_response.convert(
voice_id, text=, model_id=, output_format=, language_code=, voice_settings=VoiceSettings(stability,
similarity_boost, style, use_speaker_boost, speed))` is an async context manager whose response
has `.headers` and `.data` (an async iterator of audio chunks); `output_format` travels as a
query parameter; `language_code` "is not supported for multilingual_v2 models", so it is only
sent to the others; a non-2xx raises `ApiError(status_code, headers, body)`. That streaming
path has no retries of its own, so answered 429/5xx are retried here (`common.Retries`).
With the search tool: `character-cost` is the response header of billed characters (credits:
one a character on multilingual v2, half on flash/turbo); $0.10 per 1,000 characters on
Multilingual v2/v3 and $0.05 on Flash/Turbo, i.e. $0.0001 a credit either way (June 2026).
Errors (INTEGRATIONS.md, help centre): `{"detail": {"status", "message"}}` — 401
`invalid_api_key` vs `quota_exceeded`, 429 `too_many_concurrent_requests` vs `system_busy`,
400 `max_character_limit_exceeded`, 404 `voice_not_found`.
Output formats (issue 9), verified in the installed SDK's `text_to_speech/types/
text_to_speech_convert_request_output_format.py` (the older copy of elevenlabs/elevenlabs-python
in the search index lacks `wav_*`, `mp3_24000_48`, `pcm_32000`) and the allowed values of
elevenlabs.io/docs/api-reference/text-to-speech/convert (quoted in a search-tool hit):
`codec_samplerate[_kbps]`, 28 of them (`OUTPUT_FORMATS`). We ask only for those with a container
(`VOICE_OVER_FORMATS`: mp3, wav, opus) and refuse the others when the client is built: raw PCM,
mu-law and A-law carry no header, so neither a browser nor the video step could tell their rate.
Duration from the bytes: MP3 at a constant bitrate is bytes * 8 / bitrate (the `_128` of
`mp3_44100_128`), within a frame (26 ms) of the truth; WAV from its header (data size / byte
rate); Ogg Opus from the last page's granule position less the pre-skip (48 kHz), as the bitrate
says little of a variable-rate stream (bytes * 8 / bitrate when it is not Ogg); raw PCM is bytes
/ (rate * 2), G.711 bytes / rate.
UNVERIFIED: that `opus_*` comes in an Ogg container (so it is not refused when it does not); how a text-to-speech moderation refusal looks (the music API's 400 `bad_prompt`
is taken, and any status naming moderation, policy or terms); per-model character limits
(10,000 multilingual v2, 40,000 flash/turbo v2.5, 5,000 v3).
"""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
from elevenlabs import AsyncElevenLabs, VoiceSettings
from elevenlabs.core.api_error import ApiError

from adly_creative.adapters.providers.common import Retries, retry_after, retrying, usd
from adly_creative.domain.ports import (
    ContentRefused,
    ProviderError,
    ProviderQuotaExhausted,
    SpeechRequest,
    SpeechResult,
    Usage,
)

NAME = "elevenlabs"
DEFAULT_MODEL = "eleven_multilingual_v2"
DEFAULT_VOICE = "JBFqnCBsd6RMkjVDRZzb"          # a premade voice of the default library
VOICE_ID = re.compile(r"^[A-Za-z0-9]{20}$")       # ElevenLabs voice ids; anything else is an espeak-ng name
CHARACTER_LIMITS = {"eleven_multilingual_v2": 10_000, "eleven_flash_v2_5": 40_000, "eleven_turbo_v2_5": 40_000,
                    "eleven_v3": 5_000}
NO_LANGUAGE_CODE = frozenset({"eleven_multilingual_v2"})
# How each brand tone sounds: steadier and slower for luxury, livelier for playful.
VOICE_SETTINGS = {
    "friendly": VoiceSettings(stability=0.5, similarity_boost=0.75, style=0.3, use_speaker_boost=True, speed=1.0),
    "luxurious": VoiceSettings(stability=0.7, similarity_boost=0.8, style=0.15, use_speaker_boost=True, speed=0.93),
    "playful": VoiceSettings(stability=0.35, similarity_boost=0.7, style=0.6, use_speaker_boost=True, speed=1.06),
    "bold": VoiceSettings(stability=0.45, similarity_boost=0.8, style=0.5, use_speaker_boost=True, speed=1.02),
    "minimal": VoiceSettings(stability=0.75, similarity_boost=0.75, style=0.0, use_speaker_boost=False, speed=0.97),
}
OUTPUT_FORMATS = frozenset({
    "alaw_8000", "ulaw_8000",
    "mp3_22050_32", "mp3_24000_48", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128", "mp3_44100_192",
    "opus_48000_32", "opus_48000_64", "opus_48000_96", "opus_48000_128", "opus_48000_192",
    "pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_32000", "pcm_44100", "pcm_48000",
    "wav_8000", "wav_16000", "wav_22050", "wav_24000", "wav_32000", "wav_44100", "wav_48000",
})
CONTAINERS = ("mp3", "wav", "opus")
VOICE_OVER_FORMATS = frozenset(f for f in OUTPUT_FORMATS if f.split("_")[0] in CONTAINERS)
MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "audio/L16", "opus": "audio/ogg",
               "ulaw": "audio/basic", "alaw": "audio/PCMA"}
REFUSALS = ("moderation", "policy", "terms", "tos", "bad_prompt")


class ElevenLabsSpeaker:
    name = NAME

    def __init__(self, api_key: str, *, base_url: str | None = None, model: str = DEFAULT_MODEL,
                 default_voice_id: str = DEFAULT_VOICE, output_format: str = "mp3_44100_128",
                 timeout: float = 60.0, max_retries: int = 2, max_wait: float = 10.0,
                 price_per_character: Decimal = Decimal("0.0001")) -> None:
        if output_format not in VOICE_OVER_FORMATS:
            why = "has no container" if output_format in OUTPUT_FORMATS else "is not one ElevenLabs documents"
            raise ValueError(f"{NAME}: output format {output_format!r} {why}; take one of "
                             f"{', '.join(sorted(VOICE_OVER_FORMATS))}")
        self.model, self.default_voice_id, self.output_format = model, default_voice_id, output_format
        self._price = price_per_character
        self._retries = Retries(attempts=max_retries + 1, max_wait=max_wait)
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)
        self._client = AsyncElevenLabs(api_key=api_key, base_url=base_url, timeout=timeout, httpx_client=self._http)

    def voice_for(self, request: SpeechRequest) -> str:
        """The brand's ElevenLabs voice; a brand whose voice is an espeak-ng name gets ours."""
        voice = request.brand.voice
        return voice if voice and VOICE_ID.match(voice) else self.default_voice_id

    async def speak(self, request: SpeechRequest) -> SpeechResult:
        text = " ".join(request.script.split())
        self._check_length(text)
        content, headers = await retrying(lambda: self._convert(text, request), self._retries)
        characters = _billed(headers, text)
        usage = Usage(provider=NAME, model=self.model, characters=characters, cost=usd(characters * self._price))
        return SpeechResult(content, media_type(self.output_format), estimate_duration(content, self.output_format), usage)

    def _check_length(self, text: str) -> None:
        limit = CHARACTER_LIMITS.get(self.model)
        if not text:
            raise ProviderError(NAME, "the script is empty")
        if limit and len(text) > limit:
            raise ProviderError(NAME, f"the script has {len(text)} characters; {self.model} takes at most {limit}")

    async def _convert(self, text: str, request: SpeechRequest) -> tuple[bytes, dict[str, str]]:
        options = {"text": text, "model_id": self.model, "output_format": self.output_format,
                   "voice_settings": VOICE_SETTINGS.get(request.brand.tone.lower(), VOICE_SETTINGS["friendly"])}
        if self.model not in NO_LANGUAGE_CODE:
            options["language_code"] = request.language
        try:
            async with self._client.text_to_speech.with_raw_response.convert(self.voice_for(request), **options) as reply:
                content = b"".join([chunk async for chunk in reply.data])
                headers = reply.headers
        except ApiError as error:
            raise provider_error(error) from error
        except httpx.TimeoutException as error:
            raise ProviderError(NAME, "the request timed out", retryable=True) from error
        except httpx.TransportError as error:
            raise ProviderError(NAME, f"ElevenLabs could not be reached ({type(error).__name__})",
                                retryable=True) from error
        _check_audio(content, self.output_format)
        return content, headers

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ElevenLabsSpeaker:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


def provider_error(error: ApiError) -> ProviderError:
    status = error.status_code or 0
    kind, message = _detail(error.body)
    wait = retry_after(error.headers)
    if kind == "quota_exceeded" or status == 402:
        return ProviderQuotaExhausted(NAME, f"the ElevenLabs account is out of characters ({message})", status=status)
    if status == 401:
        return ProviderError(NAME, "the API key was refused", status=status)
    if status == 429 or status >= 500:
        # too_many_concurrent_requests (a slot frees soon) and system_busy (back off) are both worth a retry
        return ProviderError(NAME, f"busy ({kind or status})", retryable=True, retry_after=wait, status=status)
    if any(word in kind for word in REFUSALS):
        return ContentRefused(NAME, f"ElevenLabs refused the script ({kind}): {message}", status=status)
    if kind == "voice_not_found":
        return ProviderError(NAME, f"the brand's voice does not exist on this account: {message}", status=status)
    return ProviderError(NAME, f"the request was rejected ({status} {kind}): {message}", status=status)


def _detail(body: object) -> tuple[str, str]:
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):   # `code` is the documented field, `status` the legacy one
        return str(detail.get("code") or detail.get("status") or ""), str(detail.get("message") or "")
    if isinstance(detail, list):   # FastAPI-style validation errors
        return "validation_error", "; ".join(str(item.get("msg")) for item in detail if isinstance(item, dict))
    return "", str(body)[:200]


def _billed(headers: dict[str, str], text: str) -> int:
    try:
        return int(float(headers["character-cost"]))
    except (KeyError, ValueError):
        return len(text)   # one credit a character: the multilingual v2 rate


def _check_audio(content: bytes, output_format: str) -> None:
    if not content:
        raise ProviderError(NAME, "the answer had no audio", retryable=True)
    codec = output_format.split("_")[0]
    mpeg_sync = content[:3] == b"ID3" or (len(content) > 1 and content[0] == 0xFF and content[1] & 0xE0 == 0xE0)
    if codec == "mp3" and not mpeg_sync:
        raise ProviderError(NAME, "the answer is not MP3 audio", retryable=True)
    if codec == "wav" and not (content[:4] == b"RIFF" and content[8:12] == b"WAVE"):
        raise ProviderError(NAME, "the answer is not WAV audio", retryable=True)


def media_type(output_format: str) -> str:
    return MEDIA_TYPES.get(output_format.split("_")[0], "application/octet-stream")


def estimate_duration(content: bytes, output_format: str) -> float:
    """Seconds of audio, from the container or the format's rate (see the module docstring)."""
    codec, *numbers = output_format.split("_")
    if codec == "wav":
        seconds = wav_seconds(content)
        if seconds is not None:
            return round(seconds, 3)
    if codec == "opus":
        seconds = ogg_opus_seconds(content)
        if seconds is not None:
            return round(seconds, 3)
    if codec in ("mp3", "opus") and len(numbers) == 2:
        return round(len(content) * 8 / (int(numbers[1]) * 1000), 3)
    if codec in ("pcm", "wav") and numbers:
        header = 44 if codec == "wav" else 0
        return round(max(0, len(content) - header) / (int(numbers[0]) * 2), 3)
    if codec in ("ulaw", "alaw") and numbers:
        return round(len(content) / int(numbers[0]), 3)
    return 0.0


def wav_seconds(content: bytes) -> float | None:
    """Data bytes over the `fmt ` chunk's byte rate; a data size left open (0 or 0xFFFFFFFF, as a
    stream writes it) is the rest of the file."""
    if content[:4] != b"RIFF" or content[8:12] != b"WAVE":
        return None
    at, byte_rate = 12, 0
    while at + 8 <= len(content):
        chunk, size = content[at:at + 4], int.from_bytes(content[at + 4:at + 8], "little")
        if chunk == b"fmt " and size >= 12:
            byte_rate = int.from_bytes(content[at + 16:at + 20], "little")
        elif chunk == b"data":
            available = len(content) - at - 8
            data = available if size in (0, 0xFFFFFFFF) else min(size, available)
            return data / byte_rate if byte_rate else None
        at += 8 + size + (size & 1)
    return None


def ogg_opus_seconds(content: bytes) -> float | None:
    """(last granule position - pre-skip) / 48 kHz: an Opus granule counts 48 kHz samples and the
    first packet (OpusHead) holds the pre-skip (RFC 7845). The pages are walked by their headers
    (27 bytes, then a segment table), so no byte of audio is taken for a page."""
    at, pre_skip, granule = 0, None, None
    while at + 27 <= len(content) and content[at:at + 4] == b"OggS":
        segments = content[at + 26]
        body = at + 27 + segments
        if pre_skip is None:
            if content[body:body + 8] != b"OpusHead":
                return None
            pre_skip = int.from_bytes(content[body + 10:body + 12], "little")
        position = int.from_bytes(content[at + 6:at + 14], "little", signed=True)
        if position >= 0:          # -1: no packet ends on this page
            granule = position
        at = body + sum(content[at + 27:body])
    if pre_skip is None or granule is None or at != len(content):
        return None
    return max(0, granule - pre_skip) / 48_000
