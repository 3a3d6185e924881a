"""The offline image maker: golden images in Arabic and English, right-to-left layout, shaping.

Golden images live in services/creative/tests/golden/; regenerate them deliberately with
ADLY_UPDATE_GOLDEN=1 (see the README there), never automatically.
"""

import io
import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from adly_creative.adapters.offline import text_layout
from adly_creative.adapters.offline.ad_parts import Palette
from adly_creative.adapters.offline.images import PillowImageMaker, render
from adly_creative.domain.ports import IMAGE_SIZES, BrandKit, ImageFormat, ImageRequest, Money, ProductFacts

GOLDEN = Path(__file__).parents[1] / "golden"
UPDATE = os.environ.get("ADLY_UPDATE_GOLDEN") == "1"


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def product_photo() -> bytes:
    """A bottle on a light backdrop, as product photos usually are."""
    image = Image.new("RGB", (900, 900), (246, 246, 244))
    draw = ImageDraw.Draw(image)
    draw.ellipse((250, 760, 650, 820), fill=(222, 222, 218))
    draw.rounded_rectangle((330, 220, 570, 790), 60, fill=(214, 83, 58))
    draw.rectangle((400, 130, 500, 230), fill=(60, 60, 70))
    draw.rounded_rectangle((360, 420, 540, 600), 20, fill=(250, 236, 210))
    draw.ellipse((395, 455, 505, 565), fill=(214, 83, 58))
    return png(image)


def logo() -> bytes:
    image = Image.new("RGBA", (360, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, 120, 120), fill=(245, 158, 11, 255))
    draw.rounded_rectangle((150, 34, 350, 86), 26, fill=(255, 255, 255, 255))
    return png(image)


BRAND = BrandKit(name="Noor", primary_colour="#0F3D3E", secondary_colour="#F4EBD9", accent_colour="#E2B33C", logo=logo())
PRODUCT = ProductFacts(product_id="p-1", name="Rose Oud Perfume 100 ml", names={"ar": "عطر ورد وعود 100 مل"},
                       price=Money(Decimal("149"), "SAR"), compare_at_price=Money(Decimal("199"), "SAR"),
                       photos=(product_photo(),))
HEADLINES = {"en": ("Treat yourself: Rose Oud Perfume", "Shop now"), "ar": ("دلّل نفسك مع عطر ورد وعود", "تسوق الآن")}
GOLDEN_CASES = [("en", ImageFormat.SQUARE), ("en", ImageFormat.STORY), ("en", ImageFormat.PORTRAIT),
                ("ar", ImageFormat.SQUARE), ("ar", ImageFormat.STORY), ("ar", ImageFormat.LANDSCAPE)]


def request_for(language: str, fmt: ImageFormat, **changes) -> ImageRequest:
    headline, cta = HEADLINES[language]
    return replace(ImageRequest(PRODUCT, BRAND, fmt, language, headline, cta), **changes)


def golden_path(language: str, fmt: ImageFormat) -> Path:
    return GOLDEN / f"ad_{language}_{fmt.name.lower()}.png"


def difference(a: Image.Image, b: Image.Image) -> tuple[float, float]:
    """Mean absolute difference per channel (0-255), and the share of pixels off by more than 32."""
    assert a.size == b.size
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    histogram = diff.histogram()
    mean = sum(i * n for c in range(3) for i, n in enumerate(histogram[c * 256:(c + 1) * 256])) / (3 * a.width * a.height)
    far = diff.convert("L").point(lambda v: 255 if v > 32 else 0).histogram()[255] / (a.width * a.height)
    return mean, far


def assert_matches_golden(image: Image.Image, path: Path) -> None:
    if UPDATE:
        image.save(path, "PNG", optimize=True)
    assert path.exists(), f"no golden image {path.name}: run with ADLY_UPDATE_GOLDEN=1 once, then look at it"
    mean, far = difference(image, Image.open(path))
    assert mean < 1.0 and far < 0.005, f"{path.name}: mean difference {mean:.2f}, {far:.2%} pixels far off"


@pytest.mark.parametrize("language,fmt", GOLDEN_CASES)
def test_the_ad_matches_its_golden_image(language, fmt):
    assert_matches_golden(render(request_for(language, fmt)), golden_path(language, fmt))


@pytest.fixture
def unshaped(monkeypatch):
    """Arabic drawn letter by letter, left to right: what a renderer without shaping produces."""
    monkeypatch.setattr(text_layout, "RAQM", False)
    monkeypatch.setattr(text_layout.Script, "visual", lambda self, text: text)
    text_layout.font.cache_clear()
    yield
    text_layout.font.cache_clear()


@pytest.fixture
def without_raqm(monkeypatch):
    """The fallback: no raqm, arabic_reshaper + python-bidi instead."""
    monkeypatch.setattr(text_layout, "RAQM", False)
    text_layout.font.cache_clear()
    yield
    text_layout.font.cache_clear()


def test_the_arabic_golden_is_shaped_and_unshaped_text_does_not_match_it(unshaped):
    golden = Image.open(golden_path("ar", ImageFormat.SQUARE))
    mean, far = difference(render(request_for("ar", ImageFormat.SQUARE)), golden)
    assert far > 0.005, "unshaped Arabic would pass for the golden: the test could not tell"


def test_without_raqm_the_fallback_still_shapes_arabic(without_raqm):
    golden = Image.open(golden_path("ar", ImageFormat.SQUARE))
    request = request_for("ar", ImageFormat.SQUARE)
    fallback = difference(render(request), golden)[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(text_layout.Script, "visual", lambda self, text: text)
        unshaped = difference(render(request), golden)[1]
    assert fallback < unshaped / 3


def headline_ink(language: str, fmt: ImageFormat) -> tuple[int, int, int, int]:
    """Where a short headline's pixels are: the ad with it, minus the same ad with a mere dot
    (one line too, so the layout is the same)."""
    bare = replace(BRAND, logo=None, name="")
    headline = {"en": "Rose Oud", "ar": "عطر عود"}[language]
    with_text = render(request_for(language, fmt, brand=bare, show_price=False, headline=headline))
    without = render(request_for(language, fmt, brand=bare, show_price=False, headline="."))
    box = ImageChops.difference(with_text, without).convert("L").point(lambda v: 255 if v > 40 else 0).getbbox()
    assert box is not None
    return box


@pytest.mark.parametrize("fmt", [ImageFormat.SQUARE, ImageFormat.STORY, ImageFormat.LANDSCAPE])
def test_arabic_headlines_are_right_aligned_and_english_left_aligned(fmt):
    width = IMAGE_SIZES[fmt][0]
    margin_zone = width * 0.1
    en, ar = headline_ink("en", fmt), headline_ink("ar", fmt)
    assert en[0] < margin_zone and en[2] < width / 2
    assert ar[2] > width - margin_zone and ar[0] > width / 2


def logo_centre(language: str) -> float:
    with_logo = render(request_for(language, ImageFormat.SQUARE))
    without = render(request_for(language, ImageFormat.SQUARE, brand=replace(BRAND, logo=None, name="")))
    box = ImageChops.difference(with_logo, without).convert("L").point(lambda v: 255 if v > 40 else 0).getbbox()
    return (box[0] + box[2]) / 2


def test_the_logo_sits_on_the_left_in_arabic_and_on_the_right_in_english():
    width = IMAGE_SIZES[ImageFormat.SQUARE][0]
    assert logo_centre("ar") < width / 3
    assert logo_centre("en") > width * 2 / 3


@pytest.mark.parametrize("accent,label", [("#FFD400", (17, 17, 17)), ("#1E3A8A", (255, 255, 255))])
def test_the_button_label_is_black_or_white_whichever_reads_better(accent, label):
    assert Palette.of(replace(BRAND, accent_colour=accent)).on_accent == label


@pytest.mark.parametrize("fmt", list(ImageFormat))
async def test_every_format_has_its_platform_size(fmt):
    result = await PillowImageMaker().make_image(request_for("en", fmt))
    image = Image.open(io.BytesIO(result.content))
    assert (result.width, result.height) == image.size == IMAGE_SIZES[fmt]
    assert result.usage.provider == "offline" and result.usage.images == 1


async def test_a_photo_ad_is_jpeg_and_a_photo_less_ad_is_png():
    maker = PillowImageMaker()
    with_photo = await maker.make_image(request_for("en", ImageFormat.SQUARE))
    without = await maker.make_image(request_for("en", ImageFormat.SQUARE, product=replace(PRODUCT, photos=())))
    assert with_photo.media_type == "image/jpeg" and with_photo.content[:3] == b"\xff\xd8\xff"
    assert without.media_type == "image/png" and without.content[:8] == b"\x89PNG\r\n\x1a\n"
    decoded = Image.open(io.BytesIO(with_photo.content))
    assert difference(decoded, render(request_for("en", ImageFormat.SQUARE)))[0] < 2.0


async def test_the_same_request_gives_the_same_image():
    maker = PillowImageMaker(output="png")
    first = await maker.make_image(request_for("ar", ImageFormat.PORTRAIT))
    second = await maker.make_image(request_for("ar", ImageFormat.PORTRAIT))
    assert first.content == second.content


async def test_a_broken_photo_gives_the_placeholder_not_an_error():
    broken = replace(PRODUCT, photos=(b"not an image",))
    image = render(request_for("en", ImageFormat.SQUARE, product=broken))
    placeholder = render(request_for("en", ImageFormat.SQUARE, product=replace(PRODUCT, photos=())))
    assert difference(image, placeholder)[0] == 0


def test_the_sale_price_is_drawn_only_for_a_sale():
    no_sale = replace(PRODUCT, compare_at_price=None)
    sale_ad = render(request_for("en", ImageFormat.SQUARE))
    plain_ad = render(request_for("en", ImageFormat.SQUARE, product=no_sale))
    hidden = render(request_for("en", ImageFormat.SQUARE, show_price=False))
    assert difference(sale_ad, plain_ad)[1] > 0.001       # the struck-through "was" price
    assert difference(plain_ad, hidden)[1] > 0.001        # the price itself


def test_a_very_long_headline_shrinks_and_stays_inside_the_ad():
    long = "Go big with the Ultra Comfort Wireless Noise Cancelling Headphones with Extra Long Battery Life " * 3
    fitted = text_layout.fit(long, "adly-sans", "bold", text_layout.Script.of("en"), 900, 2, 72, 42)
    assert len(fitted.lines) == 2 and fitted.size == 42 and fitted.lines[-1].endswith("…")
    face = fitted.face
    assert all(face.getlength(line) <= 900 for line in fitted.lines)


def test_the_bundled_fonts_cover_arabic_and_latin_in_one_face():
    face = text_layout.font("adly-sans", "bold", 40)

    def drawn(ch: str) -> bytes:
        image = Image.new("L", (80, 80))
        ImageDraw.Draw(image).text((10, 10), ch, font=face, fill=255)
        return image.tobytes()

    missing = drawn("\uffff")          # the "no glyph" box
    for ch in "AZaz09.,عطرسةلا€":
        assert drawn(ch) != missing, ch


@pytest.mark.parametrize("font_name,tone,family", [
    ("Amiri", "friendly", "amiri"), ("lemonada", "bold", "lemonada"), ("Noto Sans Arabic", "luxurious", "adly-sans"),
    (None, "luxurious", "amiri"), (None, "playful", "lemonada"), ("Comic Sans", "friendly", "adly-sans"),
])
def test_the_heading_font_is_the_brands_when_bundled_else_the_tones(font_name, tone, family):
    assert text_layout.family_of(font_name, tone) == family


def test_a_luxurious_brand_gets_another_heading_face():
    friendly = render(request_for("en", ImageFormat.SQUARE))
    luxurious = render(request_for("en", ImageFormat.SQUARE, brand=replace(BRAND, tone="luxurious")))
    assert difference(friendly, luxurious)[1] > 0.005


def test_emoji_from_a_provider_headline_are_left_out_rather_than_drawn_as_boxes():
    assert text_layout.drawable("✨ Meet Rose Oud 🌹 — SAR 149.00™") == "Meet Rose Oud — SAR 149.00™"
    assert text_layout.drawable("عطر ورد 🌹 وعود") == "عطر ورد وعود"
    plain = render(request_for("en", ImageFormat.SQUARE, headline="Meet Rose Oud"))
    with_emoji = render(request_for("en", ImageFormat.SQUARE, headline="✨ Meet Rose Oud 🌹"))
    assert difference(plain, with_emoji)[0] == 0
