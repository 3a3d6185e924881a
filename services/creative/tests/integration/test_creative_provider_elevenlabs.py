"""The ElevenLabs client, through the official SDK over real HTTP, against the fake ElevenLabs API."""

from __future__ import annotations

import math
import subprocess
from decimal import Decimal

import imageio_ffmpeg
import pytest

from adly_creative.adapters.providers.elevenlabs import DEFAULT_VOICE, ElevenLabsSpeaker
from adly_creative.domain.ports import (
    BrandKit,
    ContentRefused,
    Money,
    ProviderError,
    ProviderQuotaExhausted,
    SpeechRequest,
)
from tests.fakes.elevenlabs import FakeElevenLabs

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
