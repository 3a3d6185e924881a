"""The offline video maker: a real 9:16 MP4 with motion, captions and, when given, the voice-over."""

import io
import math
import re
import struct
import subprocess
import wave

import pytest
from PIL import Image, ImageChops, ImageDraw

from adly_creative.adapters.offline.video import FfmpegVideoMaker, ffmpeg_executable
from adly_creative.domain.ports import BrandKit, ProviderError, SpeechResult, Usage, VideoRequest

BRAND = BrandKit(name="Noor", primary_colour="#0F3D3E", secondary_colour="#F4EBD9", accent_colour="#E2B33C")
SMALL = (360, 640)      # the same code path as 1080x1920, a ninth of the pixels: fast tests


def picture(colour, size=(540, 960)) -> bytes:
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((size[0] // 4, size[1] // 3, size[0] * 3 // 4, size[1] * 2 // 3), 30, fill=(250, 250, 250))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def tone(seconds: float, rate: int = 22050) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                                 for i in range(int(seconds * rate))))
    return buffer.getvalue()


def voice(seconds: float) -> SpeechResult:
    return SpeechResult(tone(seconds), "audio/wav", seconds, Usage(provider="test"))


def probe(content: bytes, tmp_path) -> str:
    """What ffmpeg itself says about the file (ffprobe is not shipped; `ffmpeg -i` prints the same)."""
    path = tmp_path / "probe.mp4"
    path.write_bytes(content)
    return subprocess.run([ffmpeg_executable(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr


def duration_of(info: str) -> float:
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info).groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def frame_at(content: bytes, seconds: float, tmp_path) -> Image.Image:
    path = tmp_path / "frame.mp4"
    path.write_bytes(content)
    out = subprocess.run([ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-ss", str(seconds), "-i", str(path),
                          "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"], capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(out)).convert("RGB")


def request(**changes) -> VideoRequest:
    values = dict(frames=(picture((200, 60, 50)), picture((40, 90, 200))), captions=("عطر ورد وعود", "تسوق الآن"),
                  language="ar", brand=BRAND, seconds_per_frame=1.0, size=SMALL)
    return VideoRequest(**{**values, **changes})


async def test_without_a_voice_over_the_video_is_a_silent_mp4_that_says_why(tmp_path):
    result = await FfmpegVideoMaker().make_video(request())
    assert result.content[4:8] == b"ftyp" and result.media_type == "video/mp4"
    info = probe(result.content, tmp_path)
    assert "Video: h264" in info and "yuv420p" in info and "360x640" in info
    assert "Audio:" not in info
    assert duration_of(info) == pytest.approx(2.0, abs=0.1) == result.duration_seconds
    assert (result.width, result.height, result.has_voice_over) == (360, 640, False)
    assert result.note.startswith("no voice-over: ")


async def test_with_a_voice_over_the_video_lasts_until_the_voice_ends(tmp_path):
    result = await FfmpegVideoMaker().make_video(request(voice_over=voice(3.0)))
    info = probe(result.content, tmp_path)
    assert "Audio: aac" in info
    assert duration_of(info) == pytest.approx(3.5, abs=0.15)       # the voice and a short tail
    assert result.duration_seconds == pytest.approx(3.5, abs=0.05)
    assert result.has_voice_over and result.note is None


async def test_a_short_voice_over_does_not_shorten_the_pictures(tmp_path):
    result = await FfmpegVideoMaker().make_video(request(voice_over=voice(0.5)))
    assert duration_of(probe(result.content, tmp_path)) == pytest.approx(2.0, abs=0.15)


async def test_the_default_size_is_full_hd_portrait(tmp_path):
    result = await FfmpegVideoMaker().make_video(request(frames=(picture((10, 10, 10)),), captions=("",),
                                                         size=(1080, 1920), seconds_per_frame=0.6))
    assert "1080x1920" in probe(result.content, tmp_path)


async def test_the_pictures_move_and_change(tmp_path):
    content = (await FfmpegVideoMaker().make_video(request(captions=("", "")))).content
    start, later, second = (frame_at(content, t, tmp_path) for t in (0.0, 0.5, 1.5))
    assert ImageChops.difference(start, later).getbbox() is not None, "Ken Burns motion"
    assert second.getpixel((10, 10))[2] > 150 and start.getpixel((10, 10))[0] > 150, "the second image follows the first"


async def test_captions_are_burned_in_on_a_band_in_the_brand_colour(tmp_path):
    with_caption = frame_at((await FfmpegVideoMaker().make_video(request())).content, 0.3, tmp_path)
    without = frame_at((await FfmpegVideoMaker().make_video(request(captions=("", "")))).content, 0.3, tmp_path)
    box = ImageChops.difference(with_caption, without).convert("L").point(lambda v: 255 if v > 40 else 0).getbbox()
    assert box is not None and box[1] > SMALL[1] * 0.5 and box[3] < SMALL[1] * 0.8     # lower third, above the UI
    band = with_caption.getpixel((box[0] + 12, (box[1] + box[3]) // 2))
    assert all(abs(a - b) < 40 for a, b in zip(band, (15, 61, 62), strict=True))                      # the primary colour


async def test_no_images_is_a_clear_error():
    with pytest.raises(ProviderError, match="at least one image"):
        await FfmpegVideoMaker().make_video(request(frames=(), captions=()))


async def test_an_unreadable_image_is_a_clear_error():
    with pytest.raises(ProviderError, match="cannot be read"):
        await FfmpegVideoMaker().make_video(request(frames=(b"not an image",), captions=("",)))
