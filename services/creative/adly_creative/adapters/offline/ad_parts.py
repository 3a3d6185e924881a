"""The pieces of an ad: palette, product card, price, call-to-action button, logo or brand name."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from adly_creative.adapters.offline.drawing import (
    INK,
    RGB,
    WHITE,
    contain,
    contrast,
    cover,
    hex_colour,
    load_logo,
    load_photo,
    mix,
    paste_card,
    readable_on,
    rounded_mask,
)
from adly_creative.adapters.offline.text_layout import Script, family_of, font
from adly_creative.domain.ports import BrandKit, ImageRequest


@dataclass(frozen=True)
class Palette:
    top: RGB                # background gradient, primary colour ...
    bottom: RGB             # ... towards the secondary
    text: RGB               # readable on the whole gradient
    muted: RGB              # the struck-through "was" price
    price: RGB
    accent: RGB             # the button
    on_accent: RGB          # black or white, whichever reads better on the accent
    card: RGB               # the product card when the photo has no backdrop of its own

    @classmethod
    def of(cls, brand: BrandKit) -> Palette:
        primary = hex_colour(brand.primary_colour, (17, 24, 39))
        secondary = hex_colour(brand.secondary_colour, (249, 250, 251))
        accent = hex_colour(brand.accent_colour, (245, 158, 11))
        top, bottom = primary, mix(primary, secondary, 0.15)
        middle = mix(top, bottom, 0.5)
        text = _readable_on_both(top, bottom, secondary, WHITE, INK)
        price = accent if min(contrast(accent, top), contrast(accent, bottom)) >= 3 else text
        card = secondary if contrast(secondary, primary) >= 1.6 else mix(primary, WHITE, 0.18)
        on_accent = WHITE if contrast(WHITE, accent) >= contrast(INK, accent) else INK
        return cls(top, bottom, text, mix(text, middle, 0.35), price, accent, on_accent, card)


def _readable_on_both(top: RGB, bottom: RGB, *preferred: RGB) -> RGB:
    for colour in preferred:
        if min(contrast(colour, top), contrast(colour, bottom)) >= 4.5:
            return colour
    return readable_on(mix(top, bottom, 0.5))


# --- product card -------------------------------------------------------------------------

def draw_card(canvas: Image.Image, draw: ImageDraw.ImageDraw, request: ImageRequest,
              box: tuple[int, int, int, int], palette: Palette, script: Script) -> None:
    """The first product photo on a rounded card (its own backdrop colour extends it), or a
    monogram placeholder when the product has no usable photo."""
    x0, y0, x1, y1 = box
    if x1 - x0 < 8 or y1 - y0 < 8:
        return
    radius = max(12, min(x1 - x0, y1 - y0) // 16)
    photo = load_photo(request.product.photos[0]) if request.product.photos else None
    if photo is None:
        paste_card(canvas, box, palette.card, radius)
        _draw_placeholder(draw, box, request.brand, palette)
        return
    size, opaque = (x1 - x0, y1 - y0), photo.image.mode == "RGB"
    if opaque and 0.85 <= (photo.image.width / photo.image.height) / (size[0] / size[1]) <= 1.18:
        paste_card(canvas, box, photo.backdrop, radius)              # near the card's shape: full bleed
        canvas.paste(cover(photo.image, size), (x0, y0), rounded_mask(size, radius))
        return
    paste_card(canvas, box, photo.backdrop if opaque else palette.card, radius)
    pad = round(min(size) * 0.06)
    fitted = contain(photo.image, (size[0] - 2 * pad, size[1] - 2 * pad))
    at = (x0 + (size[0] - fitted.width) // 2, y0 + (size[1] - fitted.height) // 2)
    canvas.paste(fitted, at, fitted if fitted.mode == "RGBA" else None)


def _draw_placeholder(draw: ImageDraw.ImageDraw, box, brand: BrandKit, palette: Palette) -> None:
    """A ring and the brand's initial: reads as intentional, not as a missing image."""
    x0, y0, x1, y1 = box
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, min(x1 - x0, y1 - y0) * 0.26
    ink = palette.accent if contrast(palette.accent, palette.card) >= 2 else readable_on(palette.card)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink, width=max(3, round(r / 14)))
    initial = (brand.name.strip()[:1] or "•").upper()
    face = font(family_of(brand.heading_font, brand.tone), "bold", max(12, round(r * 1.05)))
    script = Script.of("ar" if "\u0600" <= initial <= "\u06ff" else "en")
    draw.text((cx, cy), script.visual(initial), font=face, fill=ink, anchor="mm", **script.options())


# --- price --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PriceBlock:
    now: str
    was: str | None
    now_font: ImageFont.FreeTypeFont
    was_font: ImageFont.FreeTypeFont
    now_width: float
    was_width: float
    gap: float
    height: int

    @property
    def width(self) -> float:
        return self.now_width + (self.gap + self.was_width if self.was else 0)


def measure_price(now: str | None, was: str | None, family: str, size: int, script: Script) -> PriceBlock | None:
    if not now:
        return None
    now_font, was_font = font(family, "bold", size), font(family, "regular", round(size * 0.62))
    return PriceBlock(now, was, now_font, was_font, script.width(now_font, now),
                      script.width(was_font, was) if was else 0, size * 0.45, round(size * 1.3))


def draw_price(draw: ImageDraw.ImageDraw, block: PriceBlock, start: float, top: float, script: Script,
               palette: Palette) -> None:
    """The price at the reading start; a sale's "was" price after it, struck through."""
    baseline, sign = top + block.height * 0.8, (-1 if script.rtl else 1)
    anchor = "rs" if script.rtl else "ls"
    draw.text((start, baseline), script.visual(block.now), font=block.now_font, fill=palette.price, anchor=anchor,
              **script.options())
    if not block.was:
        return
    was_start = start + sign * (block.now_width + block.gap)
    draw.text((was_start, baseline), script.visual(block.was), font=block.was_font, fill=palette.muted,
              anchor=anchor, **script.options())
    strike_y = baseline - block.was_font.size * 0.34
    ends = sorted((was_start, was_start + sign * block.was_width))
    draw.line((ends[0] - 2, strike_y, ends[1] + 2, strike_y), fill=palette.muted, width=max(2, block.was_font.size // 12))


# --- call to action -----------------------------------------------------------------------

@dataclass(frozen=True)
class CtaButton:
    label: str
    face: ImageFont.FreeTypeFont
    width: int
    height: int


def measure_cta(label: str, family: str, size: int, script: Script, max_width: float) -> CtaButton:
    """A pill sized to its label; the label shrinks (not the button's promise) if it is too long."""
    while size > 12 and script.width(font(family, "bold", size), label) + size * 2.4 > max_width:
        size -= 2
    face = font(family, "bold", size)
    return CtaButton(label, face, round(script.width(face, label) + size * 2.4), round(size * 2.3))


def draw_cta(draw: ImageDraw.ImageDraw, button: CtaButton, side: float, top: float, script: Script,
             palette: Palette, at_start: bool) -> None:
    """`side` is the x the button leans on: the reading start if `at_start`, else the reading end."""
    leans_right = script.rtl == at_start
    x0 = side - button.width if leans_right else side
    box = (x0, top, x0 + button.width, top + button.height)
    draw.rounded_rectangle(box, radius=button.height // 2, fill=palette.accent)
    text = script.visual(button.label)
    ink = button.face.getbbox(text, anchor="ls", **script.options())
    centre_x, centre_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    baseline = centre_y - (ink[1] + ink[3]) / 2
    draw.text((centre_x - (ink[0] + ink[2]) / 2, baseline), text, font=button.face, fill=palette.on_accent,
              anchor="ls", **script.options())


# --- logo or brand name -------------------------------------------------------------------

def draw_brand_mark(canvas: Image.Image, draw: ImageDraw.ImageDraw, brand: BrandKit,
                    box: tuple[int, int, int, int], script: Script, palette: Palette) -> None:
    """The logo in the top corner opposite the reading start; the brand name when there is none."""
    logo = load_logo(brand.logo) if brand.logo else None
    x0, y0, x1, y1 = box
    at_left = script.rtl
    if logo is None:
        _draw_brand_name(draw, brand.name, box, at_left, palette, brand)
        return
    height = y1 - y0
    scale = min(height / logo.image.height, (x1 - x0) * 0.4 / logo.image.width)
    image = logo.image.resize((max(1, round(logo.image.width * scale)), max(1, round(logo.image.height * scale))),
                              Image.Resampling.LANCZOS)
    left = x0 if at_left else x1 - image.width
    top = y0 + (height - image.height) // 2
    if not logo.transparent:
        canvas.paste(image, (left, top), rounded_mask(image.size, max(4, image.height // 6)))
        return
    if min(contrast(logo.ink, palette.top), contrast(logo.ink, palette.bottom)) < 2:
        pad = max(6, image.height // 5)    # a chip behind a logo that would vanish on the background
        chip = WHITE if contrast(logo.ink, WHITE) >= contrast(logo.ink, INK) else INK
        draw.rounded_rectangle((left - pad, top - pad, left + image.width + pad, top + image.height + pad),
                               radius=(image.height + 2 * pad) // 2, fill=chip)
    canvas.paste(image, (left, top), image)


def _draw_brand_name(draw, name: str, box, at_left: bool, palette: Palette, brand: BrandKit) -> None:
    name = name.strip()
    if not name:
        return
    x0, y0, x1, y1 = box
    script = Script.of("ar" if any("\u0600" <= c <= "\u06ff" for c in name) else "en")
    family, size = family_of(brand.heading_font, brand.tone), round((y1 - y0) * 0.62)
    while size > 12 and script.width(font(family, "bold", size), name) > (x1 - x0) * 0.6:
        size -= 2
    face = font(family, "bold", size)
    anchor = "lm" if at_left else "rm"
    draw.text((x0 if at_left else x1, (y0 + y1) / 2), script.visual(name), font=face, fill=palette.text,
              anchor=anchor, **script.options())
