"""Mails in the member's language: the feed's words, right to left in Arabic, every param
escaped, the unsubscribe link only where a member may turn the kind off, and the digest."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal

import pytest

from adly_notifications.domain.feed import render
from adly_notifications.domain.kinds import KINDS
from adly_notifications.domain.letters import (
    CampaignDay,
    Digest,
    Recipient,
    digest_letter,
    money,
    notice_letter,
)

APP = "https://app.adly.example"
UNSUBSCRIBE = "https://api.adly.example/v1/notifications/unsubscribe?token=abc"
MAIL_ID = uuid.UUID("0b0e4c1a-2b6d-4b2e-9d7e-1c3f5a7b9d11")


def member(language: str = "ar") -> Recipient:
    return Recipient(user_id=uuid.uuid4(), email="ada@example.com", language=language, time_zone="Asia/Riyadh")


def letter(kind: str = "sync.failed", params: dict[str, str] | None = None, language: str = "ar", *,
           link: str | None = "/stores/1", unsubscribe_url: str | None = UNSUBSCRIBE):
    return notice_letter(kind, params if params is not None else {"reason": "timeout"}, link, member(language),
                         mail_id=MAIL_ID, app_url=APP + "/", unsubscribe_url=unsubscribe_url,
                         sender_domain="adly.example")


def test_an_arabic_mail_is_laid_out_right_to_left_and_says_what_the_feed_says():
    mail = letter(language="ar")
    words = render("sync.failed", {"reason": "timeout"}, "ar")
    assert mail.subject == words.title == "فشلت مزامنة المتجر"
    assert '<html lang="ar" dir="rtl">' in mail.html
    assert re.search(r'<table[^>]+dir="rtl"[^>]+text-align:right', mail.html)
    assert words.body in mail.html and words.body in mail.text
    assert mail.language == "ar" and mail.to == "ada@example.com"


def test_an_english_mail_is_laid_out_left_to_right():
    mail = letter(language="en")
    assert mail.subject == "A store sync failed"
    assert '<html lang="en" dir="ltr">' in mail.html and "text-align:right" not in mail.html


@pytest.mark.parametrize(("language", "written_in"), [("fr", "en"), ("", "en"), ("ar-SA", "ar"), ("EN-gb", "en")])
def test_an_unknown_language_falls_back_to_english(language, written_in):
    assert letter(language=language).language == written_in


def test_a_reason_from_a_platform_is_escaped_in_the_html_and_kept_as_written_in_the_text():
    mail = letter(params={"reason": '<script>alert("x")</script> & <b>'})
    assert "<script>" not in mail.html and "<b>" not in mail.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in mail.html
    assert '<script>alert("x")</script> & <b>' in mail.text


def test_a_param_with_a_line_break_cannot_add_a_header():
    mail = letter("campaign.published", {"platform": "meta\r\nBcc: everyone@example.com"}, "en")
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_the_button_leads_to_the_thing_the_notice_is_about():
    mail = letter(link="/campaigns/42")
    assert f'href="{APP}/campaigns/42"' in mail.html and f"{APP}/campaigns/42" in mail.text


def test_a_notice_without_a_link_has_no_button():
    assert "href" not in letter(link=None, unsubscribe_url=None).html


def test_a_kind_a_member_may_turn_off_carries_the_unsubscribe_link_and_says_why_it_came():
    mail = letter("sync.failed", language="en")
    assert mail.unsubscribe_url == UNSUBSCRIBE
    assert f"Stop these mails: {UNSUBSCRIBE}" in mail.text
    assert f'href="{UNSUBSCRIBE}"' in mail.html and "Stop these mails" in mail.html
    assert "as a member of a workspace" in mail.text


def test_a_kind_that_cannot_be_turned_off_gets_no_unsubscribe_link_and_says_so():
    assert not KINDS["store.disconnected"].mutable
    mail = letter("store.disconnected", {"platform": "salla", "reason": "uninstalled"}, "en")
    assert mail.unsubscribe_url is None and UNSUBSCRIBE not in mail.html + mail.text
    assert "cannot be turned off" in mail.text


def test_the_message_id_is_the_mail_id_at_the_senders_domain_and_the_same_each_time():
    assert letter().message_id == letter().message_id == f"<{MAIL_ID}@adly.example>"


# -- the digest ---------------------------------------------------------------------------

CAMPAIGN = uuid.UUID("a1b2c3d4-0000-4000-8000-000000000001")


def campaign(name: str | None, spend: str, revenue: str, orders: int = 1) -> CampaignDay:
    return CampaignDay(campaign_id=uuid.uuid4() if name else CAMPAIGN, name=name, spend=Decimal(spend),
                       revenue=Decimal(revenue), orders=orders, roas=Decimal(revenue) / Decimal(spend))


def digest(*campaigns: CampaignDay, currency: str | None = "SAR") -> Digest:
    spend, revenue = sum((c.spend for c in campaigns), Decimal(0)), sum((c.revenue for c in campaigns), Decimal(0))
    return Digest(workspace_id=uuid.uuid4(), day=date(2026, 12, 5), currency=currency, spend=spend, revenue=revenue,
                  orders=sum(c.orders for c in campaigns), roas=revenue / spend if spend else None,
                  impressions=12_345 if campaigns else 0, clicks=678 if campaigns else 0, campaigns=campaigns)


def digest_for(d: Digest, language: str, unsubscribe_url: str | None = UNSUBSCRIBE):
    return digest_letter(d, member(language), mail_id=MAIL_ID, app_url=APP, unsubscribe_url=unsubscribe_url,
                         sender_domain="adly.example")


def test_the_digest_names_the_day_in_the_members_language():
    assert digest_for(digest(), "en").subject == "Your ADLY day: Saturday 5 December 2026"
    assert digest_for(digest(), "ar").subject == "ملخص يومك في ADLY: السبت 5 ديسمبر 2026"


def test_the_digest_gives_the_days_totals_and_roas_with_western_digits_in_both_languages():
    d = digest(campaign("Winter sale", "1234.5", "4000", 12))
    english, arabic = digest_for(d, "en"), digest_for(d, "ar")
    assert "Spend: SAR 1,234.50" in english.text and "Revenue: SAR 4,000.00" in english.text
    assert "Orders: 12" in english.text and "ROAS: 3.24×" in english.text and "Clicks: 678" in english.text
    assert "1,234.50 ر.س" in arabic.text and "12,345" in arabic.text
    assert '<html lang="ar" dir="rtl">' in arabic.html


def test_money_keeps_the_currencys_minor_unit_and_an_unknown_currency_its_code():
    assert money(Decimal("1.5"), "KWD", "en") == "KWD 1.500"
    assert money(Decimal("1.5"), "USD", "ar") == "1.50 USD"
    assert money(Decimal("1.5"), None, "ar") == "1.50"


def test_the_top_campaigns_are_the_best_sellers_and_an_unnamed_one_reads_as_campaign_and_short_id():
    d = digest(*(campaign(f"C{n}", "10", str(n)) for n in range(1, 8)), campaign(None, "10", "100"))
    english = digest_for(d, "en")
    top = english.text.split("Top campaigns\n")[1].split("\n\n")[0].splitlines()
    assert [line.split(" | ")[0] for line in top] == [" - Campaign a1b2c3d4", " - C7", " - C6", " - C5", " - C4"]
    assert "حملة a1b2c3d4" in digest_for(d, "ar").html
    assert f'href="{APP}/campaigns/{CAMPAIGN}"' in english.html


def test_a_campaign_name_is_escaped():
    assert "<i>" not in digest_for(digest(campaign("<i>Sale</i>", "1", "2")), "en").html


def test_a_day_with_no_ads_and_no_orders_reads_as_a_quiet_day():
    english, arabic = digest_for(digest(), "en"), digest_for(digest(), "ar")
    assert "No ads ran and no orders came in on this day." in english.text
    assert "Spend:" not in english.text and "Top campaigns" not in english.text and "None" not in english.text
    assert "لم تعمل أي إعلانات" in arabic.html


def test_a_campaign_that_did_nothing_that_day_is_left_out():
    idle = CampaignDay(campaign_id=uuid.uuid4(), name="Paused", spend=Decimal(0), revenue=Decimal(0), orders=0, roas=None)
    quiet = Digest(workspace_id=uuid.uuid4(), day=date(2026, 12, 5), currency="SAR", spend=Decimal(0),
                   revenue=Decimal(0), orders=0, roas=None, impressions=0, clicks=0, campaigns=(idle,))
    mail = digest_for(quiet, "en")
    assert "Paused" not in mail.html and "Top campaigns" not in mail.text


def test_the_digest_can_be_unsubscribed_from():
    mail = digest_for(digest(), "en")
    assert mail.unsubscribe_url == UNSUBSCRIBE and f'href="{UNSUBSCRIBE}"' in mail.html
    assert digest_for(digest(), "en", unsubscribe_url=None).unsubscribe_url is None


def test_a_day_in_several_currencies_shows_a_dash_where_analytics_could_not_sum_never_a_zero():
    mixed = Digest(workspace_id=uuid.uuid4(), day=date(2026, 12, 5), currency=None, spend=None, revenue=None,
                   orders=3, roas=None, impressions=900, clicks=40,
                   campaigns=(CampaignDay(campaign_id=CAMPAIGN, name="Oud", spend=None, revenue=None, orders=3,
                                          roas=None),))
    english = digest_for(mixed, "en")
    assert "Spend: —" in english.text and "Revenue: —" in english.text and "Orders: 3" in english.text
    assert "0.00" not in english.text
