"""The offline image maker: ads rendered with Pillow from the product photo and the brand kit."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from adly_creative.adapters.offline import ad_layout as layout
from adly_creative.adapters.offline.ad_parts import (
    CtaButton,
    Palette,
    PriceBlock,
    draw_brand_mark,
    draw_card,
    draw_cta,
    draw_price,
    measure_cta,
    measure_price,
)
from adly_creative.adapters.offline.drawing import gradient, load_photo
from adly_creative.adapters.offline.text_layout import FittedText, Script, draw_lines, drawable, family_of, fit
from adly_creative.domain.offline_copy import format_price, is_sale
from adly_creative.domain.ports import IMAGE_SIZES, ImageRequest, ImageResult, Usage

MODEL = "pillow-layout-v1"


class PillowImageMaker:
    """Renders IMAGE_SIZES per ImageFormat. Deterministic for the same request.

    `output="auto"` (the default) encodes an ad with a product photo as JPEG (quality 90, no
    chroma subsampling so text edges stay crisp): photographic pixels make a PNG 4-5x larger
    and 10x slower to encode. An ad without a photo is flat colour and text: PNG, small and
    exact. "png" or "jpeg" force one.
    """

    name = "offline"

    def __init__(self, output: str = "auto", jpeg_quality: int = 90, png_compress_level: int = 1) -> None:
        if output not in ("auto", "png", "jpeg"):
            raise ValueError(f"output must be auto, png or jpeg, not {output!r}")
        self.output, self.jpeg_quality, self.png_compress_level = output, jpeg_quality, png_compress_level

    async def make_image(self, request: ImageRequest) -> ImageResult:
        # CPU-bound (tens of ms): off the event loop. Pillow releases the GIL in its C loops.
        content, media_type = await asyncio.to_thread(self.render_bytes, request)
        width, height = IMAGE_SIZES[request.format]
        return ImageResult(content=content, media_type=media_type, width=width, height=height,
                           usage=Usage(provider=self.name, model=MODEL, images=1))

    def render_bytes(self, request: ImageRequest) -> tuple[bytes, str]:
        image, buffer = render(request), io.BytesIO()
        if self.output == "jpeg" or (self.output == "auto" and has_photo(request)):
            image.save(buffer, format="JPEG", quality=self.jpeg_quality, subsampling=0)
            return buffer.getvalue(), "image/jpeg"
        image.save(buffer, format="PNG", compress_level=self.png_compress_level)
        return buffer.getvalue(), "image/png"


def has_photo(request: ImageRequest) -> bool:
    return bool(request.product.photos) and load_photo(request.product.photos[0]) is not None


def render(request: ImageRequest) -> Image.Image:
    size = IMAGE_SIZES[request.format]
    g, script, palette = layout.geometry(request.format, size), Script.of(request.language), Palette.of(request.brand)
    canvas = gradient(size, palette.top, palette.bottom).copy()
    scene = Scene(canvas, ImageDraw.Draw(canvas), request, g, script, palette)
    parts = TextParts.of(request, g, script, palette)
    (_compose_side_by_side if g.side_by_side else _compose_stacked)(scene, parts)
    draw_brand_mark(canvas, scene.draw, request.brand, layout.bar_box(g, script.rtl), script, palette)
    return canvas


@dataclass(frozen=True)
class Scene:
    """What every drawing step needs: the canvas and the request, its geometry, script and palette."""

    canvas: Image.Image
    draw: ImageDraw.ImageDraw
    request: ImageRequest
    g: layout.Geometry
    script: Script
    palette: Palette

    def card(self, box: layout.Box) -> None:
        draw_card(self.canvas, self.draw, self.request, box, self.palette, self.script)

    def lines(self, fitted: FittedText, x0: int, x1: int, top: float) -> float:
        return draw_lines(self.draw, fitted, x0, x1, top, self.script, self.palette.text)

    def price(self, block: PriceBlock, start: float, top: float) -> None:
        draw_price(self.draw, block, start, top, self.script, self.palette)

    def cta(self, button: CtaButton, side: float, top: float, at_start: bool) -> None:
        draw_cta(self.draw, button, side, top, self.script, self.palette, at_start=at_start)


@dataclass(frozen=True)
class TextParts:
    """The headline fitted to its column, and the price and call to action measured."""

    headline: FittedText
    price: PriceBlock | None
    cta: CtaButton
    column: layout.Box

    @classmethod
    def of(cls, request: ImageRequest, g: layout.Geometry, script: Script, palette: Palette) -> TextParts:
        column = layout.text_column(g, script.rtl)
        width = column[2] - column[0]
        heading = family_of(request.brand.heading_font, request.brand.tone)
        body = family_of(request.brand.body_font)
        headline = fit(drawable(request.headline), heading, "bold", script, width,
                       g.headline_lines, g.headline_size, g.headline_min)
        price = measure_price(*_prices(request), body, g.price_size, script) if request.show_price else None
        cta = measure_cta(drawable(request.call_to_action_label), body, g.cta_size, script, width)
        return cls(headline, price, cta, column)


def _prices(request: ImageRequest) -> tuple[str | None, str | None]:
    product = request.product
    if product.price is None:
        return None, None
    was = format_price(product.compare_at_price, request.language) if is_sale(product.price, product.compare_at_price) else None
    return format_price(product.price, request.language), was


def _compose_stacked(scene: Scene, parts: TextParts) -> None:
    """Card on top; headline, then price and button on one row (two when they do not fit)."""
    g, rtl = scene.g, scene.script.rtl
    x0, _, x1, bottom = parts.column
    price, cta = parts.price, parts.cta
    one_row = price is None or price.width + g.gap * 2 + cta.width <= x1 - x0
    rows = [max(cta.height, price.height if price else 0)] if one_row else [price.height, cta.height]
    top = bottom - (parts.headline.height + g.gap + sum(rows) + g.gap * (len(rows) - 1))
    scene.card(layout.card_box(g, rtl, top))
    y = scene.lines(parts.headline, x0, x1, top) + g.gap
    start, end = (x1, x0) if rtl else (x0, x1)
    if one_row:
        if price:
            scene.price(price, start, y + (rows[0] - price.height) / 2)
        scene.cta(cta, end, y + (rows[0] - cta.height) / 2, at_start=False)
    else:
        scene.price(price, start, y)
        scene.cta(cta, start, y + rows[0] + g.gap, at_start=True)


def _compose_side_by_side(scene: Scene, parts: TextParts) -> None:
    """Card on one side; headline, price and button stacked and centred on the other."""
    g, rtl = scene.g, scene.script.rtl
    x0, top, x1, bottom = parts.column
    price, cta = parts.price, parts.cta
    heights = [parts.headline.height] + ([price.height] if price else []) + [cta.height]
    y = top + max(0, (bottom - top - sum(heights) - g.gap * (len(heights) - 1)) // 2)
    scene.card(layout.card_box(g, rtl, 0))
    y = scene.lines(parts.headline, x0, x1, y) + g.gap
    start = x1 if rtl else x0
    if price:
        scene.price(price, start, y)
        y += price.height + g.gap
    scene.cta(cta, start, y, at_start=True)
