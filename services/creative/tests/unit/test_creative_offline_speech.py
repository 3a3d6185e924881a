"""The offline speaker: espeak-ng voice-overs, and a clear error where espeak-ng is missing."""

import io
import json
import shutil
import stat
import sys
import textwrap
import wave

import pytest

from adly_creative.adapters.offline.speech import EspeakSpeaker, parse_voices
from adly_creative.domain.ports import BrandKit, ProviderError, SpeechRequest

VOICES_LISTING = """Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  ar               --/M      Arabic             sem/ar
 2  en-us            --/M      English_(America)  gmw/en-US            (en 3)
 5  fr-fr            --/M      French_(France)    roa/fr
"""

# A stand-in espeak-ng: records its arguments and stdin, writes a WAV of 0.1 s per word.
FAKE_ESPEAK = textwrap.dedent(f"""\
    #!{sys.executable}
    import json, os, sys, time, wave
    args = sys.argv[1:]
    if args == ["--voices"]:
        sys.stdout.write({VOICES_LISTING!r}); sys.exit(0)
    text = sys.stdin.read()
    if "slowly" in text:
        time.sleep(30)
    with open(os.environ["FAKE_ESPEAK_LOG"], "w") as log:
        json.dump({{"args": args, "text": text}}, log)
    target = args[args.index("-w") + 1]
    with wave.open(target, "wb") as out:
        out.setnchannels(1); out.setsampwidth(2); out.setframerate(22050)
        out.writeframes(b"\\0\\0" * int(2205 * len(text.split())))
""")


def request(script="Meet Rose Oud Perfume from Noor.", language="en", **brand):
    return SpeechRequest(script=script, language=language, brand=BrandKit(name="Noor", **brand))


@pytest.fixture
def no_espeak(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))


@pytest.fixture
def fake_espeak(monkeypatch, tmp_path):
    program = tmp_path / "espeak-ng"
    program.write_text(FAKE_ESPEAK)
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "call.json"
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("FAKE_ESPEAK_LOG", str(log))
    return lambda: json.loads(log.read_text())


async def test_without_espeak_ng_the_error_says_it_is_not_installed(no_espeak):
    speaker = EspeakSpeaker()
    assert speaker.available() is False
    with pytest.raises(ProviderError) as raised:
        await speaker.speak(request())
    assert raised.value.message == "espeak-ng is not installed"
    assert raised.value.retryable is False and raised.value.provider == "offline"


async def test_the_voice_over_is_a_wav_with_its_real_duration(fake_espeak):
    result = await EspeakSpeaker().speak(request("one two three four five"))
    assert result.media_type == "audio/wav" and result.content[:4] == b"RIFF"
    assert result.duration_seconds == pytest.approx(0.5, abs=0.01)
    assert result.usage.provider == "offline" and result.usage.characters == len("one two three four five")


@pytest.mark.parametrize("language,voice", [("ar", "ar"), ("en", "en-us"), ("fr", "fr"), ("ja", "en-us")])
async def test_the_voice_follows_the_language(fake_espeak, language, voice):
    await EspeakSpeaker().speak(request(language=language))
    args = fake_espeak()["args"]
    assert args[args.index("-v") + 1] == voice


async def test_the_brand_voice_wins_when_espeak_knows_it_and_an_elevenlabs_id_is_ignored(fake_espeak):
    await EspeakSpeaker().speak(request(language="ar", voice="en-us+f3"))
    assert "en-us+f3" in fake_espeak()["args"]
    await EspeakSpeaker().speak(request(language="ar", voice="21m00Tcm4TlvDq8ikWAM"))
    args = fake_espeak()["args"]
    assert args[args.index("-v") + 1] == "ar"


@pytest.mark.parametrize("tone,speed", [("luxurious", "140"), ("playful", "180"), ("unknown", "160")])
async def test_the_speed_follows_the_tone(fake_espeak, tone, speed):
    await EspeakSpeaker().speak(request(tone=tone))
    args = fake_espeak()["args"]
    assert args[args.index("-s") + 1] == speed


async def test_the_script_goes_through_stdin_never_a_shell(fake_espeak):
    script = "-w /etc/passwd; $(reboot) `id` \"quoted\""
    await EspeakSpeaker().speak(request(script))
    call = fake_espeak()
    assert call["text"] == script and "--stdin" in call["args"]


async def test_an_empty_script_is_refused(fake_espeak):
    with pytest.raises(ProviderError, match="empty"):
        await EspeakSpeaker().speak(request("   "))


async def test_a_hung_espeak_is_stopped_at_the_timeout(fake_espeak, tmp_path):
    # The stand-in sleeps 30 s before it would write anything: the error (rather than a voice-over
    # after 30 s) and the log it never wrote show the timeout stopped it.
    with pytest.raises(ProviderError, match="^offline: espeak-ng took longer than 1 s$") as raised:
        await EspeakSpeaker(timeout=1.0).speak(request("say this slowly"))
    assert raised.value.retryable
    assert not (tmp_path / "call.json").exists()


def test_the_voice_listing_gives_codes_names_and_files():
    assert {"ar", "en-us", "english_(america)", "gmw/en-us", "fr"} <= parse_voices(VOICES_LISTING)
    assert "ja" not in parse_voices(VOICES_LISTING)


@pytest.mark.skipif(shutil.which("espeak-ng") is None,
                    reason="espeak-ng is not installed: `make system-deps` installs it, or `apt-get install espeak-ng`")
@pytest.mark.parametrize("language,script", [("en", "Meet Rose Oud Perfume from Noor. Shop now."),
                                             ("ar", "تعرف على عطر ورد وعود من نور. تسوق الآن.")])
async def test_real_espeak_ng_speaks_for_a_plausible_time(language, script):
    result = await EspeakSpeaker().speak(request(script, language))
    with wave.open(io.BytesIO(result.content)) as audio:
        assert audio.getnframes() > 0
    assert 1.0 < result.duration_seconds < 10.0
