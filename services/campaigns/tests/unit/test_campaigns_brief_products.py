"""Products and collections matched against the workspace's catalog, across languages."""

from datetime import date
from uuid import uuid4

from adly_campaigns.domain.brief import BriefContext, CatalogItem, parse_brief

OUD = CatalogItem(uuid4(), "Royal Oud Perfume 100ml", ("perfume", "oud"), ("Perfumes",))
MUSK = CatalogItem(uuid4(), "عطر المسك الأبيض 50 مل", ("عطر", "مسك"), ("Perfumes",))
ABAYA = CatalogItem(uuid4(), "Classic Black Abaya", ("abaya",), ("Abayas",))
EMBROIDERED = CatalogItem(uuid4(), "عباية مطرزة كحلي", ("عباية",), ("Abayas",))
SNEAKERS = CatalogItem(uuid4(), "White Leather Sneakers", ("shoes",), ("Shoes",))
CASE = CatalogItem(uuid4(), "iPhone 16 Pro Case", ("case",), ("Accessories",))
CATALOG = (OUD, MUSK, ABAYA, EMBROIDERED, SNEAKERS, CASE)


def parse(text: str):
    return parse_brief(text, BriefContext(today=date(2026, 5, 13), time_zone="Asia/Riyadh", catalog=CATALOG))


def ids(*items: CatalogItem) -> list[str]:
    return [str(item.id) for item in items]


def test_a_product_named_by_its_title():
    assert parse("ads for the Royal Oud perfume").value("products") == ids(OUD)


def test_an_english_title_is_found_from_an_arabic_brief_and_the_other_way():
    assert parse("ابغى اعلان لعطر العود الملكي").value("products") == ids(OUD)
    assert parse("promote our white musk perfume").value("products") == ids(MUSK)


def test_a_word_only_one_product_has_picks_it():
    assert parse("snap ads for the sneakers").value("products") == ids(SNEAKERS)


def test_a_quality_alone_picks_nothing():
    assert parse("black friday deals on snap").value("products") == []


def test_products_are_told_apart_by_their_other_words():
    assert parse("للعباية السوداء الكلاسيك").value("products") == ids(ABAYA)
    assert parse("embroidered navy abaya").value("products") == ids(EMBROIDERED)


def test_the_number_in_a_title_is_part_of_the_products_name_not_a_budget():
    parsed = parse("google ads for the iphone 16 pro case")
    assert parsed.value("products") == ids(CASE) and parsed.value("budget") is None
    assert "16" not in [span.text for span in parsed.not_understood]


def test_a_collection_named_as_a_whole():
    parsed = parse("promote the abayas collection on instagram")
    assert parsed.value("collection") == "Abayas" and parsed.value("products") == []


def test_the_whole_store_is_no_product_and_no_collection():
    parsed = parse("ابي حملة للمتجر كامل على سناب")
    assert parsed.value("products") == [] and parsed.value("collection") is None


def test_products_not_in_the_catalog_are_left_as_not_understood():
    parsed = parse("snap ads for our handmade candles")
    assert parsed.value("products") == []
    assert any("candles" in span.text for span in parsed.not_understood)


def test_an_empty_catalog_matches_nothing():
    parsed = parse_brief("ads for the royal oud", BriefContext(today=date(2026, 5, 13), time_zone="Asia/Riyadh"))
    assert parsed.value("products") == []
