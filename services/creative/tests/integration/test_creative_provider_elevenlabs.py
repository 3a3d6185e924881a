"""The ElevenLabs client, through the official SDK over real HTTP, against the fake ElevenLabs API."""

from __future__ import annotations

import math
import subprocess
from decimal import Decimal

import httpx
import imageio_ffmpeg
import pytest

from adly_creative.adapters.providers.elevenlabs import DEFAULT_VOICE, VOICE_OVER_FORMATS, ElevenLabsSpeaker
from adly_creative.adapters.providers.elevenlabs import OUTPUT_FORMATS as CLIENT_FORMATS
from adly_creative.domain.ports import (
    BrandKit,
    ContentRefused,
    Money,
    ProviderError,
    ProviderQuotaExhausted,
    SpeechRequest,
)
from tests.fakes.elevenlabs import OUTPUT_FORMATS, FakeElevenLabs

SCRIPT = "Sukkari dates from Qassim, packed fresh this morning. Order yours today."
BRAND = BrandKit(name="Nakheel Dates", tone="luxurious", voice="21m00Tcm4TlvDq8ikWAM")
SPEECH = SpeechRequest(SCRIPT, "en", BRAND)


@pytest.fixture(scope="module")
def server():
    with FakeElevenLabs(api_key="xi-right") as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    return server


async def speak(fake, request=SPEECH, *, key="xi-right", retries=0, timeout=5.0, **options):
    async with ElevenLabsSpeaker(key, base_url=fake.url, timeout=timeout, max_retries=retries, **options) as speaker:
        return await speaker.speak(request)


async def test_the_brands_voice_speaks_the_script_and_the_billed_characters_are_recorded(fake):
    result = await speak(fake)

    sent = fake.requests[0]
    assert sent.path == "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM" and sent.headers["xi-api-key"] == "xi-right"
    assert sent.query["output_format"] == "mp3_44100_128"
    assert sent.json["text"] == SCRIPT and sent.json["model_id"] == "eleven_multilingual_v2"
    assert sent.json["voice_settings"]["speed"] < 1 and sent.json["voice_settings"]["stability"] >= 0.7  # luxurious
    assert "language_code" not in sent.json          # multilingual v2 does not take one
    assert result.media_type == "audio/mpeg"
    assert result.duration_seconds == pytest.approx(len(SCRIPT) / 15, abs=0.05)
    assert result.usage.characters == len(SCRIPT)
    assert result.usage.cost == Money(Decimal(len(SCRIPT)) * Decimal("0.0001"), "USD")


async def test_the_audio_is_real_mp3_that_ffmpeg_decodes_to_the_estimated_length(fake, tmp_path):
    result = await speak(fake)
    path = tmp_path / "voice.mp3"
    path.write_bytes(result.content)

    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path), "-f", "null", "-"],
                           capture_output=True, text=True, timeout=30)

    assert probe.returncode == 0, probe.stderr[-500:]
    decoded = [line for line in probe.stderr.splitlines() if "time=" in line][-1]
    hours, minutes, seconds = decoded.split("time=")[1].split()[0].split(":")
    assert float(seconds) + 60 * int(minutes) == pytest.approx(result.duration_seconds, abs=0.1)


async def test_a_brand_voice_that_is_an_espeak_name_falls_back_to_the_default_voice(fake):
    await speak(fake, SpeechRequest(SCRIPT, "en", BrandKit(name="X", voice="en-us")))

    assert fake.requests[0].path == f"/v1/text-to-speech/{DEFAULT_VOICE}"


async def test_a_model_that_takes_a_language_gets_it_and_bills_half(fake):
    result = await speak(fake, SpeechRequest("اطلب تمر السكري الآن", "ar", BRAND), model="eleven_flash_v2_5")

    assert fake.requests[0].json["language_code"] == "ar"
    assert result.usage.characters == math.ceil(len("اطلب تمر السكري الآن") / 2)


async def test_too_many_concurrent_requests_is_waited_out_for_its_retry_after(fake):
    fake.rate_limit_next(retry_after=0.4, kind="too_many_concurrent_requests")

    result = await speak(fake, retries=1)

    assert result.content and fake.calls("21m00Tcm4TlvDq8ikWAM") == 2
    assert fake.requests[1].at - fake.requests[0].at >= 0.35   # waited (at least) what it was asked to


async def test_system_busy_is_retryable_for_the_router(fake):
    fake.rate_limit_next(retry_after=None, kind="system_busy")

    with pytest.raises(ProviderError) as raised:
        await speak(fake)

    assert raised.value.retryable and raised.value.status == 429 and "system_busy" in raised.value.message


async def test_5xx_is_retried_then_succeeds(fake):
    fake.fail_next(503, headers={"retry-after": "0.05"}, times=2)

    result = await speak(fake, retries=2)

    assert result.content and len(fake.requests) == 3


async def test_an_answer_that_is_not_audio_is_retryable(fake):
    fake.malformed_next("content")

    with pytest.raises(ProviderError) as raised:
        await speak(fake)

    assert raised.value.retryable and "not MP3" in raised.value.message


async def test_a_stalled_request_times_out_as_retryable(fake):
    fake.stall_next(60)

    with pytest.raises(ProviderError) as raised:
        await speak(fake, timeout=0.25, retries=2)

    assert raised.value.retryable and len(fake.requests) == 1
    assert await fake.wait_for_hang_up(), "the client gave up while the fake still held the answer"


async def test_a_refused_script_is_content_refused(fake):
    fake.refuse_next()

    with pytest.raises(ContentRefused):
        await speak(fake)


async def test_quota_exceeded_is_quota_exhausted_not_a_bad_key(fake):
    fake.quota_next()

    with pytest.raises(ProviderQuotaExhausted):
        await speak(fake, retries=2)

    assert len(fake.requests) == 1


async def test_a_wrong_key_is_a_non_retryable_error(fake):
    with pytest.raises(ProviderError) as raised:
        await speak(fake, key="xi-wrong", retries=2)

    assert not raised.value.retryable and raised.value.message == "the API key was refused"


async def test_a_script_over_the_models_limit_is_refused_before_any_call(fake):
    with pytest.raises(ProviderError, match="at most 5000"):
        await speak(fake, SpeechRequest("a" * 5001, "en", BRAND), model="eleven_v3")

    assert fake.requests == []


async def test_the_apis_own_character_limit_error_is_not_retried(fake):
    fake.fail_next(400, body={"detail": {"status": "max_character_limit_exceeded", "message": "too long"}})

    with pytest.raises(ProviderError) as raised:
        await speak(fake, retries=2)

    assert not raised.value.retryable and "max_character_limit_exceeded" in raised.value.message


async def test_an_unknown_voice_says_so(fake):
    with pytest.raises(ProviderError, match="voice does not exist"):
        await speak(fake, SpeechRequest(SCRIPT, "en", BrandKit(name="X", voice="AAAAAAAAAAAAAAAAAAAA")))


async def test_the_fakes_voice_list_reads_through_the_sdk(fake):
    from elevenlabs import AsyncElevenLabs

    voices = await AsyncElevenLabs(api_key="xi-right", base_url=fake.url).voices.get_all()

    assert {v.voice_id for v in voices.voices} >= {DEFAULT_VOICE, "21m00Tcm4TlvDq8ikWAM"}


# -- output formats (issue 9: the fake refused opus, ulaw, wav) -------------------------------

RAW_INPUT = {"pcm": ["-f", "s16le"], "ulaw": ["-f", "mulaw"], "alaw": ["-f", "alaw"]}


def decoded_seconds(content: bytes, output_format: str, folder) -> float:
    """What ffmpeg makes of the bytes: they are the codec the format names, and this long."""
    codec, rate = output_format.split("_")[:2]
    path = folder / f"audio.{output_format}"
    path.write_bytes(content)
    raw = [*RAW_INPUT[codec], "-ar", rate, "-ac", "1"] if codec in RAW_INPUT else []
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", *raw, "-i", str(path), "-f", "null", "-"],
                           capture_output=True, text=True, timeout=30)
    assert probe.returncode == 0, probe.stderr[-500:]
    decoded = [line for line in probe.stderr.splitlines() if "time=" in line][-1]
    hours, minutes, seconds = decoded.split("time=")[1].split()[0].split(":")
    return float(seconds) + 60 * int(minutes) + 3600 * int(hours)


def test_the_fake_and_the_client_know_exactly_the_formats_of_the_pinned_sdk():
    from typing import Literal, get_args, get_origin

    from elevenlabs.text_to_speech.types.text_to_speech_convert_request_output_format import (
        TextToSpeechConvertRequestOutputFormat,
    )

    literal = next(arg for arg in get_args(TextToSpeechConvertRequestOutputFormat) if get_origin(arg) is Literal)
    assert set(get_args(literal)) == OUTPUT_FORMATS == CLIENT_FORMATS
    assert VOICE_OVER_FORMATS == {f for f in OUTPUT_FORMATS if f.startswith(("mp3_", "wav_", "opus_"))}


@pytest.mark.parametrize("output_format", sorted(VOICE_OVER_FORMATS))
async def test_every_format_the_client_asks_for_comes_back_as_that_audio_and_that_long(fake, output_format,
                                                                                         tmp_path):
    result = await speak(fake, output_format=output_format)

    assert fake.requests[0].query["output_format"] == output_format
    assert result.media_type == {"mp3": "audio/mpeg", "wav": "audio/wav", "opus": "audio/ogg"}[output_format.split("_")[0]]
    assert result.duration_seconds == pytest.approx(len(SCRIPT) / 15, abs=0.05)
    assert decoded_seconds(result.content, output_format, tmp_path) == pytest.approx(result.duration_seconds, abs=0.1)


@pytest.mark.parametrize("output_format", sorted(OUTPUT_FORMATS - VOICE_OVER_FORMATS))
async def test_the_fake_serves_the_headerless_formats_too(fake, output_format, tmp_path):
    answer = httpx.post(f"{fake.url}/v1/text-to-speech/{DEFAULT_VOICE}", params={"output_format": output_format},
                        headers={"xi-api-key": "xi-right"}, json={"text": SCRIPT, "model_id": "eleven_multilingual_v2"})

    assert answer.status_code == 200, answer.text
    assert decoded_seconds(answer.content, output_format, tmp_path) == pytest.approx(len(SCRIPT) / 15, abs=0.1)


@pytest.mark.parametrize("output_format", ["mp3_44100_256", "mp3_48000_128", "wav_96000", "opus_48000", "flac_44100",
                                           "MP3_44100_128", "mp3_44100_128 ", "pcm", ""])
async def test_a_format_elevenlabs_does_not_know_is_refused_in_its_documented_error_shape(fake, output_format):
    answer = httpx.post(f"{fake.url}/v1/text-to-speech/{DEFAULT_VOICE}", params={"output_format": output_format},
                        headers={"xi-api-key": "xi-right"}, json={"text": SCRIPT})

    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert {k: detail[k] for k in ("type", "code", "status", "param")} == {
        "type": "validation_error", "code": "invalid_parameters", "status": "invalid_parameters",
        "param": "output_format"}
    assert detail["request_id"] == answer.headers["request-id"] and output_format in detail["message"]


async def test_the_apis_refusal_of_a_format_reaches_the_router_as_a_clear_non_retryable_error(fake):
    async with ElevenLabsSpeaker("xi-right", base_url=fake.url, timeout=5.0, max_retries=2) as speaker:
        speaker.output_format = "mp3_44100_256"     # past the client's own check: what would ElevenLabs say?
        with pytest.raises(ProviderError) as raised:
            await speaker.speak(SPEECH)

    assert not raised.value.retryable and raised.value.status == 400
    assert "invalid_parameters" in raised.value.message and len(fake.requests) == 1


@pytest.mark.parametrize(("output_format", "why"), [("pcm_44100", "has no container"), ("ulaw_8000", "has no container"),
                                                    ("alaw_8000", "has no container"),
                                                    ("mp3_44100_256", "is not one ElevenLabs documents")])
def test_a_format_the_client_cannot_keep_as_a_voice_over_is_refused_when_it_is_built(output_format, why):
    with pytest.raises(ValueError, match=why):
        ElevenLabsSpeaker("xi", output_format=output_format)
