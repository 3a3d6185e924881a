"""An order's attribution signals read into touches: who may have sent the customer, and when
(docs/analytics-attribution.md, "Touches").

A landing URL's query is read by `adly_events.landing_urls`, the one rule campaigns' `read_tags` uses
too; the ids inside the values (`_uuid`, `_embedded`) are still a copy of campaigns'
`domain/tracking.py`, which writes the tags. It also reads `utm_id` (the campaign's UUID) when `utm_campaign` carries no id. Keep
the two in step: `adly-<26 base32 letters>` at the end of a value, keys case-insensitive, values in any
case, double-encoded, `_` or a space for the dash, queries hidden after a single-page store's `#`.
"""

from __future__ import annotations

import re
from base64 import b32decode, b32encode
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar
from urllib.parse import unquote, urlsplit
from uuid import UUID

from adly_events.contracts.catalog import OrderAttribution, UtmParameters, Visit
from adly_events.contracts.common import AdPlatform
from adly_events.landing_urls import landing_params as _params

T = TypeVar("T")
ID_IN_VALUE = re.compile(r"(?:^|[^0-9a-z])adly[-_ ]?([a-z2-7]{26})$", re.IGNORECASE)
SOURCES = {"facebook": AdPlatform.META, "tiktok": AdPlatform.TIKTOK, "snapchat": AdPlatform.SNAPCHAT,
           "google": AdPlatform.GOOGLE_ADS}
CLICK_IDS = {"fbclid": AdPlatform.META, "ttclid": AdPlatform.TIKTOK, "sccid": AdPlatform.SNAPCHAT,
             "gclid": AdPlatform.GOOGLE_ADS, "gbraid": AdPlatform.GOOGLE_ADS, "wbraid": AdPlatform.GOOGLE_ADS}
# Hosts whose referral hints at a platform (the host itself or any subdomain: l.facebook.com, m.tiktok.com).
# Google is absent on purpose: a google.* referrer alone is organic search; a paid click carries a gclid.
REFERRERS = {"facebook.com": AdPlatform.META, "fb.com": AdPlatform.META, "instagram.com": AdPlatform.META,
             "tiktok.com": AdPlatform.TIKTOK, "snapchat.com": AdPlatform.SNAPCHAT}


class Signal(StrEnum):
    """What a touch was read from, strongest first."""

    ADLY_IDS = "adly_ids"    # adly_c / adly_a in a landing URL: exact
    UTM = "utm"              # ADLY's ids inside utm_campaign / utm_content / utm_id
    CLICK_ID = "click_id"    # fbclid, ttclid, gclid/gbraid/wbraid, ScCid: a platform, no ad
    REFERRER = "referrer"    # a platform's host as referrer: the weakest hint

    @property
    def strength(self) -> int:
        return {"adly_ids": 4, "utm": 3, "click_id": 2, "referrer": 1}[self.value]


@dataclass(frozen=True)
class Touch:
    """One sign that a platform (and maybe an ADLY campaign and ad) sent the customer at `at`."""

    signal: Signal
    at: datetime
    source: str                      # landing_site, last_visit, first_visit, click_ids
    platform: AdPlatform | None = None
    campaign_id: UUID | None = None
    ad_id: UUID | None = None
    position: int = 0                # reading order: breaks ties after strength


@dataclass(frozen=True)
class _Place:
    source: str
    at: datetime
    landing: str | None
    utm: UtmParameters
    referrer: str | None


def read_touches(attribution: OrderAttribution, placed_at: datetime) -> list[Touch]:
    """Every touch the order's signals show, in reading order: the order's own landing site, its last
    visit, its first visit, then click ids seen in no landing URL."""
    places = _places(attribution, placed_at)
    found = [touch for place in places for touch in _touches_at(place)]
    seen = {(_key(name), value) for place in places for name, value in _params(place.landing or "")}
    found += [Touch(Signal.CLICK_ID, places[0].at, "click_ids", CLICK_IDS[_key(name)])
              for name, value in sorted(attribution.click_ids.items())
              if _key(name) in CLICK_IDS and value and (_key(name), value) not in seen]
    return _numbered(_unique(found))


def _places(attribution: OrderAttribution, placed_at: datetime) -> list[_Place]:
    """Where signals were seen, each dated: a visit by its own time; the order's own landing site,
    utm and referrer by the visit that shows the same landing page (else the order's time)."""
    visits = [(name, visit, at) for name, visit, at in (
        ("last_visit", attribution.last_visit, _last_visit_time(attribution.last_visit, placed_at)),
        ("first_visit", attribution.first_visit, _first_visit_time(attribution, placed_at)),
    ) if visit is not None and at is not None]
    session = next((at for _, visit, at in visits if _same_session(attribution, visit)), placed_at)
    own = _Place("landing_site", session, attribution.landing_site, attribution.utm, attribution.referrer)
    return [own, *(_Place(name, at, v.landing_page, v.utm, v.referrer) for name, v, at in visits)]


def _last_visit_time(visit: Visit | None, placed_at: datetime) -> datetime | None:
    return None if visit is None else visit.occurred_at or placed_at


def _first_visit_time(attribution: OrderAttribution, placed_at: datetime) -> datetime | None:
    visit, days = attribution.first_visit, attribution.days_to_conversion
    if visit is not None and visit.occurred_at is not None:
        return visit.occurred_at
    return placed_at - timedelta(days=days) if visit is not None and days is not None else None


def _same_session(attribution: OrderAttribution, visit: Visit) -> bool:
    if attribution.landing_site:
        return visit.landing_page == attribution.landing_site
    return _utm_pairs(attribution.utm) != [] and visit.utm == attribution.utm


def _touches_at(place: _Place) -> Iterator[Touch]:
    params = _params(place.landing or "")
    tagged = _tagged(params + _utm_pairs(place.utm), place)
    if tagged is not None:
        yield tagged
    for name, value in params:
        if _key(name) in CLICK_IDS and value:
            yield Touch(Signal.CLICK_ID, place.at, place.source, CLICK_IDS[_key(name)])
    platform = referrer_platform(place.referrer)
    if platform is not None:
        yield Touch(Signal.REFERRER, place.at, place.source, platform)


def _tagged(params: list[tuple[str, str]], place: _Place) -> Touch | None:
    values: dict[str, list[str]] = {}
    for key, value in params:
        values.setdefault(key, []).append(value)
    exact = _first(map(_uuid, values.get("adly_c", [])))
    campaign = exact or _first(map(_embedded, values.get("utm_campaign", []))) or _first(
        map(_uuid, values.get("utm_id", [])))
    if campaign is None:
        return None
    ad = _first(map(_uuid, values.get("adly_a", []))) or _first(map(_embedded, values.get("utm_content", [])))
    platform = _first(SOURCES.get(v.strip().lower()) for v in values.get("utm_source", []))
    signal = Signal.ADLY_IDS if exact is not None else Signal.UTM
    return Touch(signal, place.at, place.source, platform, campaign, ad)


def referrer_platform(referrer: str | None) -> AdPlatform | None:
    """The platform a referrer's host belongs to, if it is one of the hosts above."""
    if not referrer:
        return None
    text = referrer.strip() if "//" in referrer else f"//{referrer.strip()}"
    try:
        host = (urlsplit(text).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    return next((p for domain, p in REFERRERS.items() if host == domain or host.endswith(f".{domain}")), None)


def _utm_pairs(utm: UtmParameters) -> list[tuple[str, str]]:
    pairs = [("utm_source", utm.source), ("utm_campaign", utm.campaign), ("utm_content", utm.content)]
    return [(key, value) for key, value in pairs if value]


def _unique(touches: Iterable[Touch]) -> list[Touch]:
    """A first and last visit that are the same visit, or a landing site that is the last visit's
    page, show the same touch twice: kept once, where first read."""
    kept: dict[tuple[object, ...], Touch] = {}
    for t in touches:
        kept.setdefault((t.signal, t.at, t.platform, t.campaign_id, t.ad_id), t)
    return list(kept.values())


def _numbered(touches: list[Touch]) -> list[Touch]:
    return [replace(touch, position=index) for index, touch in enumerate(touches)]


def _key(name: str) -> str:
    return name.strip().lower()


def _first(items: Iterable[T | None]) -> T | None:
    return next((item for item in items if item is not None), None)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(unquote(value).strip())
    except ValueError:
        return None


def _embedded(value: str) -> UUID | None:
    match = ID_IN_VALUE.search(unquote(value).strip())
    if match is None:
        return None
    found = UUID(bytes=b32decode(match.group(1).upper() + "======"))
    return found if short_id(found) == match.group(1).lower() else None


def short_id(value: UUID) -> str:
    """A UUID as ADLY writes it inside utm values: its 16 bytes in lowercase base32, unpadded."""
    return b32encode(value.bytes).decode("ascii").rstrip("=").lower()
