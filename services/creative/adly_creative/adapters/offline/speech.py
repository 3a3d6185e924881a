"""The offline speaker: a voice-over from espeak-ng, when it is installed."""

from __future__ import annotations

import io
import shutil
import tempfile
import wave
from pathlib import Path

from adly_creative.adapters.offline.copy_templates import tone_of
from adly_creative.adapters.offline.process import run
from adly_creative.domain.ports import ProviderError, SpeechRequest, SpeechResult, Usage

LANGUAGE_VOICES = {"ar": "ar", "en": "en-us"}
DEFAULT_VOICE = "en-us"
# Words per minute (espeak-ng's default is 175): calm for luxury, brisk for playful.
TONE_SPEEDS = {"friendly": 160, "luxurious": 140, "playful": 180, "bold": 170}
MAX_SCRIPT = 5000       # characters; a voice-over for a short video is a few sentences


class EspeakSpeaker:
    """WAV voice-overs from espeak-ng: a voice per language (ar -> "ar", en -> "en-us"), the
    brand's voice instead when it names an espeak-ng voice, the speed from the brand's tone.
    Without espeak-ng, `speak` raises ProviderError("espeak-ng is not installed"): the video is
    then made without a voice-over and says so."""

    name = "offline"

    def __init__(self, command: str = "espeak-ng", timeout: float = 30.0) -> None:
        self.command, self.timeout = command, timeout
        self._voices: dict[str, frozenset[str]] = {}

    def executable(self) -> str | None:
        return shutil.which(self.command)

    def available(self) -> bool:
        return self.executable() is not None

    async def speak(self, request: SpeechRequest) -> SpeechResult:
        executable = self.executable()
        if executable is None:
            raise ProviderError(self.name, "espeak-ng is not installed", retryable=False)
        script = " ".join(request.script.split())
        if not script:
            raise ProviderError(self.name, "the voice-over script is empty", retryable=False)
        if len(script) > MAX_SCRIPT:
            raise ProviderError(self.name, f"the voice-over script is longer than {MAX_SCRIPT} characters")
        voice = await self.voice_for(executable, request)
        content = await self._synthesise(executable, voice, speed_of(request.brand.tone), script)
        return SpeechResult(content=content, media_type="audio/wav", duration_seconds=wav_duration(content),
                            usage=Usage(provider=self.name, model=f"espeak-ng:{voice}", characters=len(script)))

    async def voice_for(self, executable: str, request: SpeechRequest) -> str:
        """The brand's voice if espeak-ng knows it (an ElevenLabs voice id it does not), else the language's."""
        wanted = (request.brand.voice or "").strip()
        if wanted and wanted.split("+")[0].casefold() in await self._known_voices(executable):
            return wanted
        language = request.language.split("-")[0].casefold()
        if language in LANGUAGE_VOICES:
            return LANGUAGE_VOICES[language]
        return language if language in await self._known_voices(executable) else DEFAULT_VOICE

    async def _known_voices(self, executable: str) -> frozenset[str]:
        if executable not in self._voices:
            stdout, _ = await run([executable, "--voices"], timeout=self.timeout, what="espeak-ng --voices")
            self._voices[executable] = parse_voices(stdout.decode("utf-8", "replace"))
        return self._voices[executable]

    async def _synthesise(self, executable: str, voice: str, speed: int, script: str) -> bytes:
        # -w to a file, not --stdout: on a pipe espeak-ng cannot go back and write the real
        # length into the WAV header, and the duration would be wrong.
        with tempfile.TemporaryDirectory(prefix="adly-espeak-") as folder:
            target = Path(folder) / "voice.wav"
            args = [executable, "-v", voice, "-s", str(speed), "-b", "1", "-w", str(target), "--stdin"]
            await run(args, input=script.encode("utf-8"), timeout=self.timeout, what="espeak-ng")
            if not target.exists() or target.stat().st_size <= 44:
                raise ProviderError(self.name, "espeak-ng produced no audio")
            return target.read_bytes()


def speed_of(tone: str) -> int:
    return TONE_SPEEDS[tone_of(tone)]


def parse_voices(listing: str) -> frozenset[str]:
    """Names -v accepts, from `espeak-ng --voices`: language codes, voice names, files (with and
    without their folder: "roa/fr" answers to "fr")."""
    names: set[str] = set()
    for line in listing.splitlines()[1:]:
        columns = line.split()
        if len(columns) >= 5:
            names.update(c.casefold() for c in (columns[1], columns[3], columns[4], columns[4].rsplit("/", 1)[-1]))
    return frozenset(names)


def wav_duration(content: bytes) -> float:
    """Seconds of audio, from the WAV header."""
    try:
        with wave.open(io.BytesIO(content)) as audio:
            return audio.getnframes() / float(audio.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError) as error:
        raise ProviderError("offline", f"espeak-ng produced an unreadable WAV: {error}") from None
