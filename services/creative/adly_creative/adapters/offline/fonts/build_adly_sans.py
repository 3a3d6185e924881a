"""Build AdlySans-{Regular,Bold}.ttf: Noto Sans Arabic + the Latin part of Noto Sans, one font.

Why: Pillow (raqm) shapes a line with one font and has no fallback; Arabic ad copy mixes Latin
product names, digits and currency codes, so one font must hold both scripts.
Needs fontTools (a build tool only, not a runtime dependency): pip install fonttools
Usage: python build_fonts.py NOTO_DIR OUT_DIR  (NOTO_DIR holds NotoSans-*.ttf, NotoSansArabic-*.ttf)
"""
import sys
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

LATIN = "U+0020-007E,U+00A0-017F,U+2010-2027,U+2030-203A,U+20AC,U+2122,U+2190-2193,U+2212"
ARABIC = "U+0600-06FF,U+0750-077F,U+08A0-08FF,U+FB50-FDFF,U+FE70-FEFF,U+200C-200F,U+2066-2069,U+25CC"


def subset_font(source: Path, unicodes: str, target: Path) -> None:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False        # unhinted: smaller, and Pillow renders large sizes fine without
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(unicodes))
    subsetter.subset(font)
    subset.save_font(font, str(target), options)


def rename(font: TTFont, family: str, style: str) -> None:
    names = {1: family, 2: style, 3: f"{family}-{style}", 4: f"{family} {style}", 6: f"{family}-{style}".replace(" ", "")}
    for record in list(font["name"].names):
        if record.nameID in names:
            record.string = names[record.nameID]


def widen_metrics(merged: TTFont, parts: list[TTFont]) -> None:
    """Arabic marks reach higher and lower than Latin: the line box must hold both."""
    ascent = max(p["hhea"].ascent for p in parts)
    descent = min(p["hhea"].descent for p in parts)
    merged["hhea"].ascent, merged["hhea"].descent = ascent, descent
    os2 = merged["OS/2"]
    os2.sTypoAscender, os2.sTypoDescender = ascent, descent
    os2.usWinAscent, os2.usWinDescent = ascent, -descent


def build(noto: Path, out: Path, style: str) -> None:
    latin, arabic = out / f"_latin-{style}.ttf", out / f"_arabic-{style}.ttf"
    subset_font(noto / f"NotoSans-{style}.ttf", LATIN, latin)
    subset_font(noto / f"NotoSansArabic-{style}.ttf", ARABIC, arabic)
    merged = Merger().merge([str(latin), str(arabic)])
    widen_metrics(merged, [TTFont(str(latin)), TTFont(str(arabic))])
    rename(merged, "Adly Sans", style)
    merged.save(str(out / f"AdlySans-{style}.ttf"))
    latin.unlink()
    arabic.unlink()


if __name__ == "__main__":
    for style in ("Regular", "Bold"):
        build(Path(sys.argv[1]), Path(sys.argv[2]), style)
