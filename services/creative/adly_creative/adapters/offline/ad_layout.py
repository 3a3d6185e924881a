"""Where things go on each ad format, for left-to-right and right-to-left languages.

Stacked formats (1:1, 4:5, 9:16): a top bar (logo or brand name on the side opposite the
reading start: right in English, left in Arabic), the product card, then the headline and a
row with the price (reading start) and the call to action (reading end), anchored to the
bottom. The card takes whatever height the text leaves, so a short headline gives the product
more room. 9:16 keeps the top 13% and bottom 20% free: the platforms draw their UI there.

1.91:1: the text column on the reading-start side, the product card on the other, the logo
above the card.
"""

from __future__ import annotations

from dataclasses import dataclass

from adly_creative.domain.ports import ImageFormat

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Geometry:
    width: int
    height: int
    margin: int
    safe_top: int               # nothing important above this
    safe_bottom: int            # ... nor below this
    headline_size: int
    headline_min: int
    headline_lines: int
    price_size: int
    cta_size: int
    bar_height: int             # logo / brand name
    side_by_side: bool
    gap: int

    def mirror(self, box: Box, rtl: bool) -> Box:
        """A box laid out for left-to-right, flipped for right-to-left."""
        x0, y0, x1, y1 = box
        return (self.width - x1, y0, self.width - x0, y1) if rtl else box

    @property
    def column_split(self) -> int:
        """Side-by-side: where the text column ends and the card begins (left-to-right)."""
        return round(self.width * 0.53)


def geometry(fmt: ImageFormat, size: tuple[int, int]) -> Geometry:
    width, height = size
    unit = width / 1080
    if fmt is ImageFormat.LANDSCAPE:
        return Geometry(width, height, margin=round(48 * unit), safe_top=round(40 * unit), safe_bottom=height - round(48 * unit),
                        headline_size=round(58 * unit), headline_min=round(34 * unit), headline_lines=3,
                        price_size=round(44 * unit), cta_size=round(30 * unit), bar_height=round(50 * unit),
                        side_by_side=True, gap=round(22 * unit))
    if fmt is ImageFormat.STORY:
        return Geometry(width, height, margin=round(72 * unit), safe_top=round(height * 0.13), safe_bottom=round(height * 0.8),
                        headline_size=round(84 * unit), headline_min=round(50 * unit), headline_lines=3,
                        price_size=round(64 * unit), cta_size=round(40 * unit), bar_height=round(88 * unit),
                        side_by_side=False, gap=round(36 * unit))
    lines = 3 if fmt is ImageFormat.PORTRAIT else 2
    return Geometry(width, height, margin=round(64 * unit), safe_top=round(52 * unit), safe_bottom=height - round(60 * unit),
                    headline_size=round(72 * unit), headline_min=round(42 * unit), headline_lines=lines,
                    price_size=round(56 * unit), cta_size=round(36 * unit), bar_height=round(76 * unit),
                    side_by_side=False, gap=round(28 * unit))


def bar_box(g: Geometry, rtl: bool) -> Box:
    """Where the logo (or the brand name) goes: top, on the side opposite the reading start."""
    if g.side_by_side:
        box = (g.column_split + g.gap, g.safe_top, g.width - g.margin, g.safe_top + g.bar_height)
    else:
        box = (g.margin, g.safe_top, g.width - g.margin, g.safe_top + g.bar_height)
    return g.mirror(box, rtl)


def text_column(g: Geometry, rtl: bool) -> Box:
    if g.side_by_side:
        box = (g.margin, g.safe_top, g.column_split - g.gap, g.safe_bottom)
    else:
        box = (g.margin, g.safe_top + g.bar_height + g.gap, g.width - g.margin, g.safe_bottom)
    return g.mirror(box, rtl)


def card_box(g: Geometry, rtl: bool, text_top: int) -> Box:
    """The product card: beside the text (1.91:1) or between the top bar and the text."""
    if g.side_by_side:
        box = (g.column_split + g.gap, g.safe_top + g.bar_height + g.gap // 2, g.width - g.margin, g.safe_bottom)
    else:
        box = (g.margin, g.safe_top + g.bar_height + g.gap, g.width - g.margin, text_top - g.gap)
    return g.mirror(box, rtl)
