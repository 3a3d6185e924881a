"""Mails in the member's language: a notice's letter and the daily digest. Pure rendering.

A notice's mail says what its feed item says (`feed.render`: the title is the subject, the
body the first paragraph), adds a button to the thing it is about, and ends with why the
member got it and, for a kind they may turn off, the one-click unsubscribe link.

Layout: every style inline and every table carries `dir` and `text-align`, because mail
clients drop `<style>` blocks and some ignore `<html dir>`. Every param is escaped: a reason
is written by a platform or a merchant.

Digits: Western (0-9) in Arabic too. The platforms our merchants read beside this mail (Meta,
Salla, Zid, their own dashboards) show Western digits in Arabic, the feed shows params as
they came, and a figure must read the same in the mail, the feed and the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape
from uuid import UUID

from adly_notifications.domain.feed import DEFAULT_LANGUAGE, render
from adly_notifications.domain.kinds import KINDS, LANGUAGES

TOP_CAMPAIGNS = 5


@dataclass(frozen=True)
class Recipient:
    user_id: UUID
    email: str
    language: str
    time_zone: str


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    text: str
    html: str
    language: str
    message_id: str                 # "<{mail_id}@{sender domain}>": the same on every retry
    unsubscribe_url: str | None


@dataclass(frozen=True)
class CampaignDay:
    campaign_id: UUID
    name: str | None
    spend: Decimal | None           # None: in another currency than the day's (analytics converts nothing)
    revenue: Decimal | None
    orders: int
    roas: Decimal | None


@dataclass(frozen=True)
class Digest:
    workspace_id: UUID
    day: date
    currency: str | None            # None when the day's money came in several currencies
    spend: Decimal | None           # None: not in one currency, so not summed
    revenue: Decimal | None
    orders: int
    roas: Decimal | None
    impressions: int
    clicks: int
    campaigns: tuple[CampaignDay, ...]


WORDS: dict[str, dict[str, str]] = {
    "en": {
        "open": "Open in ADLY", "why": "You get this mail as a member of a workspace on ADLY.",
        "required": "This notice cannot be turned off: it needs someone's attention.",
        "unsubscribe": "Stop these mails", "digest_subject": "Your ADLY day: {day}",
        "digest_intro": "How your ads did on {day}.", "quiet": "No ads ran and no orders came in on this day.",
        "digest_why": "You get this daily summary as a member of a workspace on ADLY.",
        "spend": "Spend", "revenue": "Revenue", "orders": "Orders", "roas": "ROAS",
        "impressions": "Impressions", "clicks": "Clicks", "campaign": "Campaign", "top": "Top campaigns",
        "open_digest": "See the details in ADLY",
    },
    "ar": {
        "open": "افتحه في ADLY", "why": "وصلتك هذه الرسالة لأنك عضو في مساحة عمل على ADLY.",
        "required": "لا يمكن إيقاف هذا التنبيه لأنه يحتاج إلى تصرّف.",
        "unsubscribe": "أوقف هذه الرسائل", "digest_subject": "ملخص يومك في ADLY: {day}",
        "digest_intro": "أداء إعلاناتك يوم {day}.", "quiet": "لم تعمل أي إعلانات ولم تصل أي طلبات في هذا اليوم.",
        "digest_why": "يصلك هذا الملخص اليومي لأنك عضو في مساحة عمل على ADLY.",
        "spend": "الإنفاق", "revenue": "الإيرادات", "orders": "الطلبات", "roas": "العائد على الإنفاق (ROAS)",
        "impressions": "مرات الظهور", "clicks": "النقرات", "campaign": "حملة", "top": "أبرز الحملات",
        "open_digest": "اطّلع على التفاصيل في ADLY",
    },
}
MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
           "ديسمبر"),
}
WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
}
# Currency symbols an Arabic reader expects; other currencies keep their ISO code.
ARABIC_CURRENCIES = {"SAR": "ر.س", "AED": "د.إ", "KWD": "د.ك", "QAR": "ر.ق", "BHD": "د.ب", "OMR": "ر.ع",
                     "EGP": "ج.م", "JOD": "د.أ"}
THREE_DECIMALS = frozenset({"KWD", "BHD", "OMR", "JOD"})  # minor unit of a thousandth


def language_for(recipient: Recipient) -> str:
    """ar or en (a tag such as `ar-SA` reads as its language); anything else, the default."""
    primary = recipient.language.split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def notice_letter(kind: str, params: Mapping[str, str], link: str | None, recipient: Recipient, *,
                  mail_id: UUID, app_url: str, unsubscribe_url: str | None, sender_domain: str) -> Letter:
    """The mail of one notice; a kind the member may not turn off carries no unsubscribe link."""
    language = language_for(recipient)
    words = render(kind, params, language)
    unsubscribe_url = unsubscribe_url if KINDS[kind].mutable else None
    say = WORDS[language]
    button = (say["open"], _joined(app_url, link)) if link else None
    why = say["why"] if unsubscribe_url else f'{say["why"]} {say["required"]}'
    html = _page(language, words.title, f"{_h1(words.title, language)}{_p(escape(words.body), language)}",
                 button, why, unsubscribe_url)
    text = _text([words.title, words.body, f"{button[0]}: {button[1]}" if button else ""], language, why,
                 unsubscribe_url)
    return _letter(recipient, words.title, text, html, language, mail_id, sender_domain, unsubscribe_url)


def digest_letter(digest: Digest, recipient: Recipient, *, mail_id: UUID, app_url: str,
                  unsubscribe_url: str | None, sender_domain: str) -> Letter:
    """The member's daily summary: the day's totals and its top campaigns, or a line saying it was quiet."""
    language = language_for(recipient)
    say = WORDS[language]
    subject = say["digest_subject"].format(day=day_in(digest.day, language))
    button = (say["open_digest"], _joined(app_url, "/"))
    html = _page(language, subject, _digest_html(digest, subject, app_url, language), button, say["digest_why"],
                 unsubscribe_url)
    text = _text([*_digest_paragraphs(digest, subject, language), f"{button[0]}: {button[1]}"], language,
                 say["digest_why"], unsubscribe_url)
    return _letter(recipient, subject, text, html, language, mail_id, sender_domain, unsubscribe_url)


def _digest_html(digest: Digest, subject: str, app_url: str, language: str) -> str:
    say, top = WORDS[language], top_campaigns(digest, language)
    body = _h1(subject, language) + _p(escape(say["digest_intro"].format(day=day_in(digest.day, language))), language)
    body += _p(escape(say["quiet"]), language) if is_quiet(digest) else _figures_html(totals(digest, language), language)
    return body + (_h2(say["top"], language) + _campaigns_html(top, app_url, language) if top else "")


def _digest_paragraphs(digest: Digest, subject: str, language: str) -> list[str]:
    say, top = WORDS[language], top_campaigns(digest, language)
    figures = "\n".join(f"{name}: {value}" for name, value in totals(digest, language))
    paragraphs = [subject, say["digest_intro"].format(day=day_in(digest.day, language)),
                  say["quiet"] if is_quiet(digest) else figures]
    if top:
        paragraphs.append(say["top"] + "\n" + "\n".join(" - " + " | ".join(row[1:]) for row in top))
    return paragraphs


# -- figures -------------------------------------------------------------------------------

def day_in(day: date, language: str) -> str:
    """`Saturday 5 December 2026` / `السبت 5 ديسمبر 2026` (Gregorian, the calendar of the stats)."""
    return f"{WEEKDAYS[language][day.weekday()]} {day.day} {MONTHS[language][day.month - 1]} {day.year}"


def number(value: int | Decimal, places: int = 0) -> str:
    return f"{value:,.{places}f}"


def money(amount: Decimal | None, currency: str | None, language: str) -> str:
    """`SAR 1,234.50` in English, `1,234.50 ر.س` in Arabic (the symbol after, as Arabic writes it);
    a dash for a sum analytics could not make in one currency."""
    if amount is None:
        return "—"
    code = (currency or "").upper()
    figure = number(amount, 3 if code in THREE_DECIMALS else 2)
    if not code:
        return figure
    if language == "ar":
        return f"{figure} {ARABIC_CURRENCIES.get(code, code)}"
    return f"{code} {figure}"


def ratio(roas: Decimal | None) -> str:
    return "—" if roas is None else f"{number(roas, 2)}×"


def totals(digest: Digest, language: str) -> list[tuple[str, str]]:
    say = WORDS[language]
    return [(say["spend"], money(digest.spend, digest.currency, language)),
            (say["revenue"], money(digest.revenue, digest.currency, language)),
            (say["orders"], number(digest.orders)), (say["roas"], ratio(digest.roas)),
            (say["impressions"], number(digest.impressions)), (say["clicks"], number(digest.clicks))]


def top_campaigns(digest: Digest, language: str) -> list[tuple[str, str, str, str, str, str]]:
    """(campaign id, name, spend, revenue, orders, ROAS) of the best-selling campaigns, then the biggest spenders."""
    active = [c for c in digest.campaigns if c.spend or c.revenue or c.orders]  # a row of zeros says nothing
    ranked = sorted(active, key=lambda c: (c.revenue or 0, c.spend or 0), reverse=True)[:TOP_CAMPAIGNS]
    return [(str(c.campaign_id), campaign_name(c, language), money(c.spend, digest.currency, language),
             money(c.revenue, digest.currency, language), number(c.orders), ratio(c.roas)) for c in ranked]


def campaign_name(campaign: CampaignDay, language: str) -> str:
    return (campaign.name or "").strip() or f'{WORDS[language]["campaign"]} {campaign.campaign_id.hex[:8]}'


def is_quiet(digest: Digest) -> bool:
    return not (digest.spend or digest.revenue or digest.orders or digest.impressions or digest.clicks)


# -- layout ----------------------------------------------------------------------------------

FONT = "font-family:Tahoma,Arial,Helvetica,sans-serif"  # Tahoma draws Arabic well on every desktop client


def _direction(language: str) -> tuple[str, str]:
    return ("rtl", "right") if language == "ar" else ("ltr", "left")


def _h1(text: str, language: str) -> str:
    return f'<h1 style="{FONT};font-size:20px;color:#111827;margin:0 0 12px;text-align:{_direction(language)[1]}">' \
           f"{escape(text)}</h1>"


def _h2(text: str, language: str) -> str:
    return f'<h2 style="{FONT};font-size:16px;color:#111827;margin:20px 0 8px;text-align:{_direction(language)[1]}">' \
           f"{escape(text)}</h2>"


def _p(escaped: str, language: str) -> str:
    return f'<p style="{FONT};font-size:15px;line-height:1.6;color:#374151;margin:0 0 16px;' \
           f'text-align:{_direction(language)[1]}">{escaped}</p>'


def _figures_html(figures: Sequence[tuple[str, str]], language: str) -> str:
    align = _direction(language)[1]
    rows = "".join(f'<tr><td style="{FONT};padding:6px 0;color:#6b7280;text-align:{align}">{escape(k)}</td>'
                   f'<td style="{FONT};padding:6px 0;color:#111827;font-weight:bold;text-align:{align}">'
                   f"<bdi>{escape(v)}</bdi></td></tr>" for k, v in figures)
    return _table(rows, language)


def _campaigns_html(top: Sequence[tuple[str, ...]], app_url: str, language: str) -> str:
    say, align = WORDS[language], _direction(language)[1]
    cell = f'style="{FONT};font-size:13px;padding:6px 4px;border-bottom:1px solid #e5e7eb;text-align:{align}"'
    head = "".join(f"<th {cell}>{escape(say[k])}</th>" for k in ("campaign", "spend", "revenue", "orders", "roas"))
    rows = "".join(
        f'<tr><td {cell}><a href="{escape(_joined(app_url, "/campaigns/" + cid))}" style="color:#2563eb">'
        f"{escape(name)}</a></td>" + "".join(f"<td {cell}><bdi>{escape(v)}</bdi></td>" for v in figures) + "</tr>"
        for cid, name, *figures in top)
    return _table(f"<tr>{head}</tr>{rows}", language)


def _table(rows: str, language: str) -> str:
    direction, align = _direction(language)
    return (f'<table role="presentation" dir="{direction}" width="100%" cellpadding="0" cellspacing="0" '
            f'style="border-collapse:collapse;direction:{direction};text-align:{align};margin:0 0 16px">{rows}</table>')


def _page(language: str, title: str, body: str, button: tuple[str, str] | None, why: str,
          unsubscribe_url: str | None) -> str:
    direction, align = _direction(language)
    action = "" if button is None else (
        f'<p style="margin:8px 0 0;text-align:{align}"><a href="{escape(button[1])}" style="{FONT};display:inline-block;'
        f'background:#2563eb;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:6px;font-size:15px">'
        f"{escape(button[0])}</a></p>")
    stop = "" if unsubscribe_url is None else (
        f' <a href="{escape(unsubscribe_url)}" style="color:#6b7280">{escape(WORDS[language]["unsubscribe"])}</a>')
    box = f"direction:{direction};text-align:{align}"
    return (
        f'<!DOCTYPE html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title></head>'
        f'<body dir="{direction}" style="margin:0;padding:0;background:#f3f4f6;{box}">'
        f'<table role="presentation" dir="{direction}" width="100%" cellpadding="0" cellspacing="0" '
        f'style="background:#f3f4f6;{box}"><tr><td align="center" style="padding:24px 12px">'
        f'<table role="presentation" dir="{direction}" width="600" cellpadding="0" cellspacing="0" '
        f'style="max-width:600px;width:100%;background:#ffffff;border-radius:8px;{box}">'
        f'<tr><td dir="{direction}" style="padding:24px;{box}">{body}{action}</td></tr>'
        f'<tr><td dir="{direction}" style="{FONT};padding:16px 24px;border-top:1px solid #e5e7eb;font-size:12px;'
        f'color:#6b7280;{box}">{escape(why)}{stop}</td></tr>'
        f"</table></td></tr></table></body></html>")


def _text(paragraphs: Sequence[str], language: str, why: str, unsubscribe_url: str | None) -> str:
    footer = why + (f'\n{WORDS[language]["unsubscribe"]}: {unsubscribe_url}' if unsubscribe_url else "")
    return "\n\n".join(p for p in paragraphs if p) + "\n\n-- \n" + footer + "\n"


def _joined(app_url: str, link: str) -> str:
    return app_url.rstrip("/") + "/" + link.lstrip("/")


def _letter(recipient: Recipient, subject: str, text: str, html: str, language: str, mail_id: UUID,
            sender_domain: str, unsubscribe_url: str | None) -> Letter:
    # A header holds one line: a reason with a line break must not add headers to the mail.
    return Letter(to=recipient.email, subject=" ".join(subject.split()), text=text, html=html, language=language,
                  message_id=f"<{mail_id}@{sender_domain}>", unsubscribe_url=unsubscribe_url)
