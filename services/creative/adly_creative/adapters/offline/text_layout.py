"""Fonts and text for the offline renderer: bundled fonts, shaping, right-to-left, wrapping, fitting.

Arabic is shaped by Pillow's RAQM layout (HarfBuzz + FriBiDi) with direction="rtl",
language="ar". Where a Pillow build lacks raqm, lines are reshaped with arabic_reshaper and
reordered with python-bidi instead (basic layout: no kerning, fewer ligatures, but joined
letters in the right order). Lines are wrapped in logical order before either, so each
line's words stay in the right order too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageDraw, ImageFont, features

FONTS_DIR = Path(__file__).parent / "fonts"
RAQM = features.check("raqm")
RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he"})
ELLIPSIS = "…"
BASELINE = 0.76           # of the line height, from its top

# family -> weight -> file. Amiri and Lemonada ship one weight: it serves both.
FONT_FILES = {
    "adly-sans": {"regular": "AdlySans-Regular.ttf", "bold": "AdlySans-Bold.ttf"},
    "amiri": {"regular": "Amiri-Bold.ttf", "bold": "Amiri-Bold.ttf"},
    "lemonada": {"regular": "Lemonada-Bold.otf", "bold": "Lemonada-Bold.otf"},
}
FONT_NAMES = {
    "adly sans": "adly-sans", "noto sans": "adly-sans", "noto sans arabic": "adly-sans", "noto": "adly-sans",
    "amiri": "amiri", "lemonada": "lemonada",
}
TONE_HEADING_FONTS = {"luxurious": "amiri", "luxury": "amiri", "elegant": "amiri", "playful": "lemonada", "fun": "lemonada"}
DEFAULT_FAMILY = "adly-sans"


def family_of(name: str | None, tone: str | None = None) -> str:
    """A brand's font name if we bundle it, else the tone's heading font, else Adly Sans."""
    if name and (family := FONT_NAMES.get(name.strip().casefold())):
        return family
    return TONE_HEADING_FONTS.get((tone or "").strip().casefold(), DEFAULT_FAMILY)


@lru_cache(maxsize=256)
def font(family: str, weight: str, size: int) -> ImageFont.FreeTypeFont:
    """Loaded once per (family, weight, size): loading a font file costs more than drawing with it.

    One face serves every rendering thread: FreeType faces are not thread-safe, but Pillow
    keeps the GIL while it renders text (free-threaded Python needs Pillow's per-font locks,
    python-pillow/Pillow#9498)."""
    layout = ImageFont.Layout.RAQM if RAQM else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(FONTS_DIR / FONT_FILES[family][weight]), size, layout_engine=layout)


_KEPT_SYMBOLS = frozenset("™©®°•…–—€£$")


def drawable(text: str) -> str:
    """Text without what no bundled font draws (emoji, pictographs, private-use characters):
    a provider's "✨ New!" would otherwise show a box. Letters, digits, punctuation and
    currency signs of every script stay."""
    kept = "".join(c for c in text if c in _KEPT_SYMBOLS or c not in "\ufe0e\ufe0f"
                   and unicodedata.category(c) not in ("So", "Co", "Cs", "Cn"))
    return " ".join(kept.split())


def is_rtl(language: str) -> bool:
    return language.split("-")[0].casefold() in RTL_LANGUAGES


@dataclass(frozen=True)
class Script:
    """How to lay out text of one language: direction and the arguments Pillow wants for it."""

    rtl: bool
    language: str

    @classmethod
    def of(cls, language: str) -> Script:
        return cls(rtl=is_rtl(language), language=language.split("-")[0].casefold())

    def visual(self, text: str) -> str:
        """Text as drawn: unchanged with raqm (it shapes and reorders), else reshaped and reordered."""
        if RAQM or not self.rtl:
            return text
        import arabic_reshaper
        from bidi.algorithm import get_display
        return get_display(arabic_reshaper.reshape(text))

    def options(self) -> dict[str, str]:
        if not RAQM:
            return {}
        return {"direction": "rtl", "language": self.language} if self.rtl else {"direction": "ltr", "language": self.language}

    def width(self, face: ImageFont.FreeTypeFont, text: str) -> float:
        return face.getlength(self.visual(text), **self.options())

    def line_height(self, size: int) -> int:
        # Arabic letters and marks reach further above and below than Latin.
        return round(size * (1.42 if self.rtl else 1.2))


def wrap(text: str, face: ImageFont.FreeTypeFont, max_width: float, script: Script) -> list[str]:
    """Greedy word wrap in logical order; a word wider than the line keeps a line to itself."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and script.width(face, candidate) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


@dataclass(frozen=True)
class FittedText:
    face: ImageFont.FreeTypeFont
    lines: list[str]
    size: int
    line_height: int

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


def fit(text: str, family: str, weight: str, script: Script, max_width: float, max_lines: int,
        start: int, smallest: int) -> FittedText:
    """The largest size (from `start` down to `smallest`) at which `text` fits `max_lines` lines;
    at the smallest size, the last line ends in an ellipsis if the text still does not fit."""
    size = start
    while True:
        face = font(family, weight, size)
        lines = wrap(text, face, max_width, script)
        fits = len(lines) <= max_lines and all(script.width(face, line) <= max_width for line in lines)
        if fits or size <= smallest:
            break
        size = max(smallest, int(size * 0.92))
    if not fits:
        lines = _truncate(lines, face, max_width, max_lines, script)
    return FittedText(face, lines, size, script.line_height(size))


def _truncate(lines: list[str], face: ImageFont.FreeTypeFont, max_width: float, max_lines: int, script: Script) -> list[str]:
    kept = lines[:max_lines]
    words = kept[-1].split()
    while words and script.width(face, " ".join(words) + ELLIPSIS) > max_width:
        words.pop()
    kept[-1] = (" ".join(words) + ELLIPSIS) if words else ELLIPSIS
    return kept


def draw_lines(draw: ImageDraw.ImageDraw, fitted: FittedText, x0: float, x1: float, top: float,
               script: Script, fill: tuple[int, ...], align: str | None = None) -> float:
    """Draws the lines from `top`; aligned to the reading side unless told. Returns the bottom."""
    align = align or ("right" if script.rtl else "left")
    x, anchor = {"left": (x0, "ls"), "right": (x1, "rs"), "center": ((x0 + x1) / 2, "ms")}[align]
    for index, line in enumerate(fitted.lines):
        # Baseline-anchored: the fonts' line metrics differ (Adly Sans is widened for Arabic),
        # their baselines do not.
        y = top + (index + BASELINE) * fitted.line_height
        draw.text((x, y), script.visual(line), font=fitted.face, fill=fill, anchor=anchor, **script.options())
    return top + fitted.height
