"""Every landing URL names ADLY's campaign and ad, and analytics can read them back from what stores keep."""

import re
from urllib.parse import parse_qs, quote, urlsplit
from uuid import UUID

import pytest

from adly_campaigns.domain.tracking import Tags, read_attribution, read_tags, read_utm, short_id, slug, tagged_url
from adly_events.contracts.catalog import OrderAttribution, UtmParameters, Visit
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput

CAMPAIGN = UUID("3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b")
AD = UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")


def tag(url: str, platform: AdPlatform = AdPlatform.META, name: str = "Summer sale") -> str:
    return tagged_url(url, platform=platform, campaign_id=CAMPAIGN, ad_id=AD, campaign_name=name)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_a_tagged_url_carries_the_documented_parameters():
    url = tag("https://abayas.sa/products/eid-abaya")
    assert url == (
        "https://abayas.sa/products/eid-abaya?utm_source=facebook&utm_medium=paid_social"
        f"&utm_campaign=summer-sale_adly-{short_id(CAMPAIGN)}&utm_content=adly-{short_id(AD)}"
        f"&utm_id={CAMPAIGN}&adly_c={CAMPAIGN}&adly_a={AD}")


def test_ids_inside_utm_values_are_26_lowercase_base32_letters():
    assert re.fullmatch(r"[a-z2-7]{26}", short_id(CAMPAIGN))
    assert short_id(UUID(int=0)) == "a" * 26
    assert short_id(UUID(int=1)) == "a" * 25 + "e"   # the last 2 of its 130 bits are padding


@pytest.mark.parametrize("platform, source, medium", [
    (AdPlatform.META, "facebook", "paid_social"), (AdPlatform.TIKTOK, "tiktok", "paid_social"),
    (AdPlatform.SNAPCHAT, "snapchat", "paid_social"), (AdPlatform.GOOGLE_ADS, "google", "cpc")])
def test_the_source_and_medium_name_the_platform(platform: AdPlatform, source: str, medium: str):
    query = query_of(tag("https://abayas.sa/", platform))
    assert (query["utm_source"], query["utm_medium"]) == ([source], [medium])
    assert read_tags(tag("https://abayas.sa/", platform)) == Tags(CAMPAIGN, AD, platform)


def test_the_merchants_own_parameters_and_fragment_are_kept():
    url = tag("https://abayas.sa/products/abaya?variant=42&color=black+gold#reviews")
    assert url.startswith("https://abayas.sa/products/abaya?variant=42&color=black+gold&utm_source=facebook")
    assert url.endswith("#reviews")
    assert read_tags(url) == Tags(CAMPAIGN, AD, AdPlatform.META)


def test_the_merchants_old_utm_tags_are_replaced_not_doubled():
    url = tag("https://abayas.sa/?UTM_Source=newsletter&utm_campaign=ramadan&utm_term=abaya&adly_c=old&ref=ig")
    query = query_of(url)
    assert query["ref"] == ["ig"] and "UTM_Source" not in query and "utm_term" not in query
    assert query["utm_source"] == ["facebook"] and query["utm_campaign"] == [f"summer-sale_adly-{short_id(CAMPAIGN)}"]
    assert query["adly_c"] == [str(CAMPAIGN)]


def test_tagging_a_tagged_url_again_gives_the_same_url():
    once = tag("https://abayas.sa/p?x=1#top")
    assert tag(once) == once


def test_an_arabic_product_url_round_trips():
    url = tag("https://عبايات.السعودية/منتجات/عباية-العيد?اللون=أسود#التفاصيل", name="تخفيضات العيد")
    assert url.isascii()
    parts = urlsplit(url)
    assert parts.hostname == "عبايات.السعودية".encode("idna").decode()   # Arabic reads the same in IDNA 2003
    assert parts.path == "/" + quote("منتجات") + "/" + quote("عباية-العيد")
    assert query_of(url)["اللون"] == ["أسود"]
    assert query_of(url)["utm_campaign"] == [f"تخفيضات-العيد_adly-{short_id(CAMPAIGN)}"]
    assert parts.fragment == quote("التفاصيل")
    assert read_tags(url) == Tags(CAMPAIGN, AD, AdPlatform.META)


def test_an_already_encoded_arabic_path_is_not_encoded_twice():
    encoded = "https://abayas.sa/products/" + quote("عباية") + "?q=" + quote("عطر")
    assert tag(encoded).startswith(encoded + "&utm_source=")


def test_a_stray_percent_sign_is_encoded():
    assert tag("https://abayas.sa/50%-off").startswith("https://abayas.sa/50%25-off?")


def test_a_host_is_punycoded_as_browsers_do():
    assert urlsplit(tag("https://straße.de/")).hostname == "xn--strae-oqa.de"
    assert urlsplit(tag("https://Abayas.SA")).geturl().startswith("https://abayas.sa/?utm_source=")


@pytest.mark.parametrize("url", ["abayas.sa/products", "/products/abaya", "ftp://abayas.sa/", "https://",
                                 "javascript:alert(1)", "https://aba yas.sa/", "https://abayas.sa:99999/"])
def test_only_absolute_http_addresses_can_be_tagged(url: str):
    with pytest.raises(InvalidInput) as refused:
        tag(url)
    assert refused.value.field == "landing_url"


def test_a_slug_keeps_arabic_and_drops_diacritics_and_tatweel():
    assert slug("تَخْفِيضَـــات  الصيف ٢٠٢٦!") == "تخفيضات-الصيف-٢٠٢٦"
    assert slug("Eid  Sale — 50% OFF") == "eid-sale-50-off"
    assert slug("!!!") == "campaign"
    assert len(slug("x" * 300)) == 48


# --- reading back what stores keep ------------------------------------------------------------------


def test_a_shopify_landing_site_path_and_query_is_read():
    url = tag("https://abayas.sa/products/abaya?variant=42#reviews", AdPlatform.TIKTOK)
    landing_site = url.removeprefix("https://abayas.sa")
    assert read_tags(landing_site) == Tags(CAMPAIGN, AD, AdPlatform.TIKTOK)


def test_a_bare_query_is_read():
    assert read_tags(urlsplit(tag("https://abayas.sa/")).query) == Tags(CAMPAIGN, AD, AdPlatform.META)
    assert read_tags("?" + urlsplit(tag("https://abayas.sa/")).query) == Tags(CAMPAIGN, AD, AdPlatform.META)


def test_only_the_utm_values_are_enough():
    query = query_of(tag("https://abayas.sa/", AdPlatform.SNAPCHAT))
    utm = UtmParameters(source=query["utm_source"][0], medium=query["utm_medium"][0],
                        campaign=query["utm_campaign"][0], content=query["utm_content"][0])
    assert read_utm(utm) == Tags(CAMPAIGN, AD, AdPlatform.SNAPCHAT)
    assert read_tags(f"utm_campaign={query['utm_campaign'][0]}") == Tags(CAMPAIGN, None, None)


def test_keys_and_values_lowercased_or_uppercased_by_a_store_are_read():
    url = tag("https://abayas.sa/", AdPlatform.GOOGLE_ADS)
    assert read_tags(url.lower()) == Tags(CAMPAIGN, AD, AdPlatform.GOOGLE_ADS)
    assert read_tags(url.upper().replace("HTTPS", "https")) == Tags(CAMPAIGN, AD, AdPlatform.GOOGLE_ADS)


def test_only_utm_values_survive_lowercasing_and_an_underscore_for_the_dash():
    value = f"SUMMER_SALE_ADLY_{short_id(CAMPAIGN).upper()}"
    assert read_tags(f"utm_campaign={value}&utm_source=Facebook") == Tags(CAMPAIGN, None, AdPlatform.META)


def test_a_landing_site_encoded_as_a_whole_is_read():
    landing_site = quote(tag("https://abayas.sa/p").removeprefix("https://abayas.sa"), safe="")
    assert read_tags(landing_site) == Tags(CAMPAIGN, AD, AdPlatform.META)


def test_html_escaped_ampersands_and_extra_parameters_are_read():
    url = tag("https://abayas.sa/p").replace("&", "&amp;") + "&amp;fbclid=IwAR0abc&_pos=1"
    assert read_tags(url) == Tags(CAMPAIGN, AD, AdPlatform.META)


def test_tags_after_a_single_page_stores_hash_route_are_read():
    query = urlsplit(tag("https://abayas.sa/")).query
    assert read_tags(f"https://abayas.sa/#/products/abaya?{query}") == Tags(CAMPAIGN, AD, AdPlatform.META)


def test_adlys_own_ids_win_over_utm_values_edited_by_hand():
    url = tag("https://abayas.sa/").replace(short_id(CAMPAIGN), short_id(AD))
    assert read_tags(url) == Tags(CAMPAIGN, AD, AdPlatform.META)


def test_an_order_is_attributed_from_its_first_signal_naming_a_campaign():
    url = tag("https://abayas.sa/p", AdPlatform.TIKTOK)
    assert read_attribution(OrderAttribution(landing_site="/p?ref=ig")) is None
    from_visit = OrderAttribution(landing_site="/p", last_visit=Visit(landing_page=url))
    assert read_attribution(from_visit) == Tags(CAMPAIGN, AD, AdPlatform.TIKTOK)


@pytest.mark.parametrize("garbage", [
    None, "", "https://abayas.sa/", "/products/abaya?variant=42", "utm_source=facebook&utm_campaign=summer-sale",
    "utm_campaign=summer-sale_adly-notbase32!!", "adly_c=not-a-uuid", "utm_content=" + "adly-" + short_id(AD),
    "utm_campaign=x_adly-" + short_id(CAMPAIGN)[:-1] + "9", "%%%", "?&=&==", "#", "adly_c=&utm_campaign=",
])
def test_garbage_names_no_campaign(garbage: str | None):
    assert read_tags(garbage) is None


def test_a_base32_id_with_stray_low_bits_is_not_read():
    noncanonical = short_id(CAMPAIGN)[:-1] + "n"   # same bytes, the unused low bits set
    assert read_tags(f"utm_campaign=adly-{noncanonical}") is None
