"""Pixels for the offline renderer: brand colours, backgrounds, cards with soft shadows, photos, logos.

Everything expensive and repeated (decoding a photo, blurring a shadow, a background) is
cached by its inputs, so a set of four formats decodes each photo and logo once. Cached
images are never drawn on: callers get copies or paste from them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter, ImageOps

RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)
INK: RGB = (17, 17, 17)
MAX_SOURCE_SIDE = 1400      # photos are reduced to this once: no ad format needs more


def hex_colour(value: str, default: RGB) -> RGB:
    text = value.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)) if len(text) == 6 else default
    except ValueError:
        return default


def luminance(colour: RGB) -> float:
    """WCAG relative luminance."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on(background: RGB, *preferred: RGB) -> RGB:
    """The first preferred colour readable on `background` (WCAG AA, 4.5:1), else black or white."""
    for colour in preferred:
        if contrast(colour, background) >= 4.5:
            return colour
    return INK if contrast(INK, background) >= contrast(WHITE, background) else WHITE


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=False))  # type: ignore[return-value]


@lru_cache(maxsize=32)
def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    """A vertical gradient: one column computed, then stretched (fast at any size)."""
    width, height = size
    column = Image.new("RGB", (1, height))
    column.putdata([mix(top, bottom, y / max(1, height - 1)) for y in range(height)])
    return column.resize(size, Image.Resampling.NEAREST)


@lru_cache(maxsize=64)
def rounded_mask(size: tuple[int, int], radius: int) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius, fill=255)
    return mask


@lru_cache(maxsize=64)
def shadow_mask(size: tuple[int, int], radius: int, blur: int, strength: int) -> Image.Image:
    """A soft shadow, blurred at a quarter of the size and scaled up: the same look, 16x less work."""
    scale, pad = 4, blur * 2
    small = Image.new("L", ((size[0] + 2 * pad) // scale, (size[1] + 2 * pad) // scale), 0)
    box = (pad // scale, pad // scale, (pad + size[0]) // scale, (pad + size[1]) // scale)
    ImageDraw.Draw(small).rounded_rectangle(box, max(1, radius // scale), fill=strength)
    small = small.filter(ImageFilter.GaussianBlur(blur / scale))
    return small.resize((size[0] + 2 * pad, size[1] + 2 * pad), Image.Resampling.BILINEAR)


def paste_card(canvas: Image.Image, box: tuple[int, int, int, int], fill: RGB, radius: int,
               shadow_strength: int = 90) -> None:
    """A rounded card with a soft drop shadow, drawn on the canvas."""
    x0, y0, x1, y1 = box
    size, blur = (x1 - x0, y1 - y0), max(8, (x1 - x0) // 40)
    shade = shadow_mask(size, radius, blur, shadow_strength)
    pad = blur * 2
    canvas.paste((0, 0, 0), (x0 - pad, y0 - pad + blur // 2), shade)
    canvas.paste(fill, (x0, y0), rounded_mask(size, radius))


@dataclass(frozen=True)
class Photo:
    image: Image.Image          # RGB or RGBA, at most MAX_SOURCE_SIDE on its longer side
    backdrop: RGB               # the colour around the product (its border), to extend it seamlessly


@lru_cache(maxsize=16)
def load_photo(content: bytes) -> Photo | None:
    """Decodes once; JPEGs are decoded at reduced scale straight away (draft mode)."""
    try:
        image = Image.open(io.BytesIO(content))
        image.draft("RGB", (MAX_SOURCE_SIDE, MAX_SOURCE_SIDE))
        image = _without_palette(ImageOps.exif_transpose(image))      # phone photos: upright
        image.thumbnail((MAX_SOURCE_SIDE, MAX_SOURCE_SIDE), Image.Resampling.BICUBIC, reducing_gap=2.0)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return Photo(image, _border_colour(image))


def _without_palette(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    return image.convert("RGBA" if has_alpha else "RGB")


def _border_colour(image: Image.Image) -> RGB:
    small = image.convert("RGB").resize((16, 16), Image.Resampling.BOX)
    pixels = [small.getpixel((x, y)) for x in range(16) for y in range(16) if x in (0, 15) or y in (0, 15)]
    return tuple(sum(p[i] for p in pixels) // len(pixels) for i in range(3))  # type: ignore[return-value]


def contain(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scaled to fit inside `size`, keeping its shape (nothing of the product is cut off)."""
    scale = min(size[0] / image.width, size[1] / image.height)
    target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)


def cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scaled to fill `size` and centre-cropped."""
    scale = max(size[0] / image.width, size[1] / image.height)
    crop_w, crop_h = min(image.width, size[0] / scale), min(image.height, size[1] / scale)
    left, top = max(0.0, (image.width - crop_w) / 2), max(0.0, (image.height - crop_h) / 2)
    box = (left, top, left + crop_w, top + crop_h)
    return image.resize(size, Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)


@dataclass(frozen=True)
class Logo:
    image: Image.Image          # RGBA
    ink: RGB                    # its average visible colour
    transparent: bool           # has see-through parts (drawn straight on the background)


@lru_cache(maxsize=16)
def load_logo(content: bytes) -> Logo | None:
    try:
        image = Image.open(io.BytesIO(content))
        image.thumbnail((800, 800), Image.Resampling.BICUBIC)
        image = image.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    alpha = image.getchannel("A")
    transparent = alpha.getextrema()[0] < 250
    return Logo(image, _ink_colour(image), transparent)


def _ink_colour(image: Image.Image) -> RGB:
    small = image.resize((24, 24), Image.Resampling.BOX)
    visible = [p for p in small.getdata() if p[3] > 128] or [(128, 128, 128, 255)]
    return tuple(sum(p[i] for p in visible) // len(visible) for i in range(3))  # type: ignore[return-value]
