"""The video's pictures, drawn with Pillow: each image with a slow Ken Burns zoom and pan, a
caption band in the brand's colours, and a short cross-fade between images.

Captions are drawn here rather than with ffmpeg's drawtext, which has no Arabic shaping.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import cached_property

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from adly_creative.adapters.offline.drawing import contain, cover, hex_colour, readable_on
from adly_creative.adapters.offline.text_layout import Script, draw_lines, drawable, family_of, fit
from adly_creative.domain.ports import BrandKit

ZOOM = 0.08             # how far each image zooms over its time on screen
CROSSFADE = 0.4         # seconds two images overlap


@dataclass(frozen=True)
class Timeline:
    frames: int             # images
    fps: int
    seconds_per_image: float

    @property
    def per_image(self) -> int:
        # Rounded up, so a voice-over the timeline was stretched for is never cut short.
        return max(1, math.ceil(self.seconds_per_image * self.fps - 1e-9))

    @property
    def total(self) -> int:
        return self.per_image * self.frames

    @property
    def seconds(self) -> float:
        return self.total / self.fps

    @property
    def fade(self) -> int:
        return min(round(CROSSFADE * self.fps), self.per_image // 3)


class FramePainter:
    """Paints output frame n of the timeline (rgb24 bytes, as ffmpeg's rawvideo wants them)."""

    def __init__(self, images: tuple[bytes, ...], captions: tuple[str, ...], language: str, brand: BrandKit,
                 size: tuple[int, int], timeline: Timeline) -> None:
        self.sources, self.captions, self.brand = images, captions, brand
        self.script, self.size, self.timeline = Script.of(language), size, timeline

    @cached_property
    def bases(self) -> list[Image.Image]:
        return [fill_frame(content, self.size) for content in self.sources]

    @cached_property
    def bands(self) -> list[Band | None]:
        return [caption_band((self.captions[i] if i < len(self.captions) else ""), self.brand, self.script, self.size)
                for i in range(len(self.sources))]

    def frame(self, n: int) -> bytes:
        t = self.timeline
        index, within = divmod(n, t.per_image)
        picture = self._picture(index, within)
        if t.fade and within >= t.per_image - t.fade and index + 1 < t.frames:
            alpha = (within - (t.per_image - t.fade) + 1) / (t.fade + 1)
            picture = Image.blend(picture, self._picture(index + 1, within - t.per_image), alpha)
        return picture.tobytes()

    def _picture(self, index: int, within: int) -> Image.Image:
        """Image `index`, `within` frames into its time (negative: fading in before it)."""
        progress = min(1.0, max(0.0, (within + self.timeline.fade) / (self.timeline.per_image + self.timeline.fade)))
        picture = ken_burns(self.bases[index], self.size, progress, index)
        if (band := self.bands[index]) is not None:
            overlay, at = band
            picture.paste(overlay, at, overlay)       # the band's alpha blends it in: one pass
        return picture


def fill_frame(content: bytes, size: tuple[int, int]) -> Image.Image:
    """The image filling the frame: cropped when its shape is close, else whole over a blurred,
    darkened copy of itself (no black bars, nothing of the product cut off)."""
    image = Image.open(io.BytesIO(content))
    image.draft("RGB", size)
    image = ImageOps.exif_transpose(image).convert("RGB")
    ratio = (image.width / image.height) / (size[0] / size[1])
    if 0.9 <= ratio <= 1.11:
        return cover(image, size)
    backdrop = cover(image, (size[0] // 8, size[1] // 8)).filter(ImageFilter.GaussianBlur(6))
    backdrop = Image.blend(backdrop, Image.new("RGB", backdrop.size, (0, 0, 0)), 0.35).resize(size, Image.Resampling.BILINEAR)
    fitted = contain(image, size)
    backdrop.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    return backdrop


def ken_burns(base: Image.Image, size: tuple[int, int], progress: float, index: int) -> Image.Image:
    """A slow eased zoom (in on even images, out on odd) drifting sideways: motion without jitter,
    since the crop box moves in sub-pixel steps."""
    eased = progress * progress * (3 - 2 * progress)
    zoom = 1 + ZOOM * (eased if index % 2 == 0 else 1 - eased)
    w, h = size[0] / zoom, size[1] / zoom
    drift = (size[0] - w) * (eased if index % 2 == 0 else 1 - eased)
    left, top = drift, (size[1] - h) / 2
    return base.resize(size, Image.Resampling.BILINEAR, box=(left, top, left + w, top + h))


Band = tuple[Image.Image, tuple[int, int]]      # the overlay and where it goes


def caption_band(caption: str, brand: BrandKit, script: Script, size: tuple[int, int]) -> Band | None:
    """A rounded band in the brand's primary colour, an accent stripe on the reading-start side, the
    caption centred on it; placed above the bottom fifth, where the platforms draw their own UI."""
    caption = drawable(caption)
    if not caption:
        return None
    width, height = size
    margin, pad = round(width * 0.06), round(width * 0.045)
    primary = hex_colour(brand.primary_colour, (17, 24, 39))
    accent = hex_colour(brand.accent_colour, (245, 158, 11))
    text_width = width - 2 * margin - 2 * pad
    fitted = fit(caption, family_of(brand.heading_font, brand.tone), "bold", script, text_width, 3,
                 round(width * 0.062), round(width * 0.04))
    band_height = fitted.height + 2 * pad
    band = Image.new("RGBA", (width - 2 * margin, band_height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(band)
    draw.rounded_rectangle((0, 0, band.width - 1, band_height - 1), radius=round(pad * 0.8), fill=(*primary, 228))
    stripe = round(pad * 0.28)
    stripe_x = band.width - stripe - pad // 2 if script.rtl else pad // 2
    draw.rounded_rectangle((stripe_x, pad, stripe_x + stripe, band_height - pad), radius=stripe // 2, fill=(*accent, 255))
    ink = readable_on(primary, hex_colour(brand.secondary_colour, (249, 250, 251)))
    draw_lines(draw, fitted, pad, band.width - pad, pad, script, (*ink, 255), align="center")
    top = round(height * 0.78) - band_height
    return band, (margin, top)

