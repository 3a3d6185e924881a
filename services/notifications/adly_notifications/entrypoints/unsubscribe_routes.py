"""/v1/notifications/unsubscribe: the one-click link every mail one may turn off carries
(RFC 8058), public at the gateway. The signed token is the only credential: it names one
member, one workspace and one kind, and turns that kind's mail off, nothing else.

A mail client's one-click POST (`List-Unsubscribe=One-Click`) unsubscribes at once. A GET (a
person following the link, or a scanner fetching it) only shows a page with the button that
POSTs, so a link checker cannot unsubscribe anyone.
"""

from __future__ import annotations

from html import escape
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from adly_kit.db import unit_of_work
from adly_kit.errors import InvalidInput
from adly_notifications.domain.feed import render
from adly_notifications.domain.kinds import KINDS
from adly_notifications.domain.unsubscribe import read_unsubscribe_token
from adly_notifications.entrypoints.feed_routes import AdaptersDep

router = APIRouter(prefix="/v1/notifications/unsubscribe", tags=["notifications"])
Token = Annotated[str, Query(min_length=1, max_length=512, description="The signed token of the mail's link.")]

PAGE = """<!doctype html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>ADLY</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;text-align:{align}">
<h1 style="font-size:1.25rem">{heading}</h1><p>{text}</p>{form}</body></html>"""
WORDS = {
    "en": ("Stop these emails?", "You will no longer get “{what}” by email in this workspace. "
           "You can turn it on again in your notification settings.", "Unsubscribe", "You are unsubscribed",
           "You will no longer get “{what}” by email in this workspace."),
    "ar": ("إيقاف هذه الرسائل؟", "لن تصلك رسائل «{what}» بالبريد الإلكتروني في مساحة العمل هذه. "
           "يمكنك تفعيلها من جديد في إعدادات الإشعارات.", "إلغاء الاشتراك", "أُلغي اشتراكك",
           "لن تصلك رسائل «{what}» بالبريد الإلكتروني في مساحة العمل هذه."),
}


def _kind_of(token: str, key: bytes) -> tuple[UUID, UUID, str]:
    workspace_id, user_id, kind = read_unsubscribe_token(key, token)
    if kind not in KINDS or not KINDS[kind].mutable:
        raise InvalidInput("This mail cannot be turned off.", field="query/token", code="not-mutable")
    return workspace_id, user_id, kind


def _page(lang: str, heading: str, text: str, form: str = "") -> HTMLResponse:
    rtl = lang == "ar"
    return HTMLResponse(PAGE.format(lang=lang, dir="rtl" if rtl else "ltr", align="right" if rtl else "left",
                                    heading=escape(heading), text=escape(text), form=form))


@router.get("", response_class=HTMLResponse, summary="The unsubscribe page: a button, nothing changed yet")
async def confirm(token: Token, a: AdaptersDep, lang: Annotated[str, Query(pattern="^(ar|en)$")] = "en") -> HTMLResponse:
    _, _, kind = _kind_of(token, a.unsubscribe_key)
    heading, text, button, _, _ = WORDS[lang]
    form = (f'<form method="post" action="?token={escape(token)}&amp;lang={lang}">'
            f'<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            f'<button type="submit">{escape(button)}</button></form>')
    return _page(lang, heading, text.format(what=render(kind, {}, lang).title), form)


@router.post("", response_class=HTMLResponse, summary="One-click unsubscribe (RFC 8058)")
async def unsubscribe(token: Token, a: AdaptersDep,
                      lang: Annotated[str, Query(pattern="^(ar|en)$")] = "en") -> HTMLResponse:
    workspace_id, user_id, kind = _kind_of(token, a.unsubscribe_key)
    async with unit_of_work(a.engine) as tx:
        await a.preferences.choose(tx, workspace_id, user_id, [(kind, "email", False)])
    _, _, _, heading, text = WORDS[lang]
    return _page(lang, heading, text.format(what=render(kind, {}, lang).title))
