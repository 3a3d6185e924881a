"""The offline video maker: a 9:16 MP4 from images, captions and an optional voice-over, via ffmpeg.

Pillow paints every frame (motion, captions with correct Arabic shaping, cross-fades) and pipes
them to ffmpeg as raw RGB; ffmpeg (the imageio-ffmpeg binary) encodes H.264 yuv420p, and AAC
when there is a voice-over. Length: the images' time, stretched so a longer voice-over is heard
to the end (plus a short tail), at most MAX_SECONDS.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from PIL import Image

from adly_creative.adapters.offline.process import check_exit, spawned
from adly_creative.adapters.offline.video_frames import FramePainter, Timeline
from adly_creative.domain.ports import ProviderError, VideoRequest, VideoResult

MAX_SECONDS = 60.0          # the platforms' short-video sweet spot ends well before this
VOICE_TAIL = 0.5            # seconds of picture after the last word
AUDIO_SUFFIXES = {"audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/mpeg": ".mp3",
                  "audio/mp3": ".mp3", "audio/ogg": ".ogg", "audio/aac": ".aac", "audio/mp4": ".m4a"}


def ffmpeg_executable() -> str:
    import imageio_ffmpeg
    return imageio_ffmpeg.get_ffmpeg_exe()


class FfmpegVideoMaker:
    """`fps` 25 and the request's size (1080x1920 by default); x264 `preset` veryfast, `crf` 23:
    a few seconds of encoding per video on two cores, files of a few hundred KB per second."""

    name = "offline"

    def __init__(self, fps: int = 25, preset: str = "veryfast", crf: int = 23, timeout: float = 180.0) -> None:
        self.fps, self.preset, self.crf, self.timeout = fps, preset, crf, timeout

    async def make_video(self, request: VideoRequest) -> VideoResult:
        if not request.frames:
            raise ProviderError(self.name, "a video needs at least one image", retryable=False)
        size = (request.size[0] // 2 * 2, request.size[1] // 2 * 2)      # H.264 wants even sides
        timeline = self.timeline_of(request)
        painter = FramePainter(request.frames, request.captions, request.language, request.brand, size, timeline)
        try:
            await asyncio.to_thread(lambda: painter.bases and painter.bands)   # decode images up front
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise ProviderError(self.name, f"an image of the video cannot be read: {error}") from None
        with tempfile.TemporaryDirectory(prefix="adly-video-") as folder:
            try:
                content = await asyncio.wait_for(self._encode(Path(folder), request, painter, size, timeline), self.timeout)
            except TimeoutError:
                raise ProviderError(self.name, f"ffmpeg took longer than {self.timeout:g} s", retryable=True) from None
        return VideoResult(content=content, media_type="video/mp4", width=size[0], height=size[1],
                           duration_seconds=timeline.seconds, has_voice_over=request.voice_over is not None,
                           note=self.note_of(request, timeline))

    def timeline_of(self, request: VideoRequest) -> Timeline:
        images = len(request.frames)
        seconds = images * request.seconds_per_frame
        if request.voice_over is not None:
            seconds = max(seconds, request.voice_over.duration_seconds + VOICE_TAIL)
        seconds = min(seconds, MAX_SECONDS)
        return Timeline(frames=images, fps=self.fps, seconds_per_image=seconds / images)

    @staticmethod
    def note_of(request: VideoRequest, timeline: Timeline) -> str | None:
        if request.voice_over is None:
            reason = ("espeak-ng is not installed" if shutil.which("espeak-ng") is None
                      else "no voice-over was supplied")
            return f"no voice-over: {reason}"
        if request.voice_over.duration_seconds > timeline.seconds:
            return f"voice-over trimmed to {timeline.seconds:g} s"
        return None

    async def _encode(self, folder: Path, request: VideoRequest, painter: FramePainter,
                      size: tuple[int, int], timeline: Timeline) -> bytes:
        target = folder / "video.mp4"
        args = [*self._args(folder, request, size, timeline), str(target)]
        async with spawned(args, stdin=True) as process:
            stderr_reader = asyncio.create_task(process.stderr.read())     # never let a full pipe stall ffmpeg
            try:
                try:
                    await self._feed(process, painter, timeline)
                except (BrokenPipeError, ConnectionResetError):
                    pass                        # ffmpeg stopped early: its exit status says why
                await process.wait()
                check_exit(process.returncode, await stderr_reader, "ffmpeg")
            finally:
                stderr_reader.cancel()
        return target.read_bytes()

    async def _feed(self, process: asyncio.subprocess.Process, painter: FramePainter, timeline: Timeline) -> None:
        for n in range(timeline.total):
            # Painting is CPU work: a worker thread, so the event loop keeps serving while
            # ffmpeg encodes the previous frames.
            process.stdin.write(await asyncio.to_thread(painter.frame, n))
            await process.stdin.drain()
        process.stdin.close()
        await process.stdin.wait_closed()

    def _args(self, folder: Path, request: VideoRequest, size: tuple[int, int], timeline: Timeline) -> list[str]:
        args = [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-y",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}", "-r", str(self.fps), "-i", "pipe:0"]
        if request.voice_over is not None:
            voice = folder / ("voice" + AUDIO_SUFFIXES.get(request.voice_over.media_type, ".wav"))
            voice.write_bytes(request.voice_over.content)
            args += ["-i", str(voice), "-map", "0:v", "-map", "1:a", "-c:a", "aac", "-b:a", "128k", "-ac", "2"]
        return args + ["-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf), "-pix_fmt", "yuv420p",
                       "-t", f"{timeline.seconds:.3f}", "-movflags", "+faststart"]
