"""Landing URLs that say which ADLY campaign and ad a visit came from (docs/campaigns-tracking.md).

`tagged_url` adds, after the merchant's own parameters:

    utm_source=facebook|tiktok|snapchat|google   utm_medium=paid_social (Google: cpc)
    utm_campaign=<slug of the name>_adly-<campaign id>   utm_content=adly-<ad id>
    utm_id=<campaign uuid>   adly_c=<campaign uuid>   adly_a=<ad uuid>

where an id inside a utm value is the UUID's 16 bytes in lowercase base32 (26 letters a-z and digits
2-7, no padding): short enough to keep utm_campaign under GA4's 100 characters, and readable again
after a store or a report lowercases it. Orders keep the whole landing URL (`landing_site`) on some
stores and only the utm values on others, so either is enough for `read_tags`.

The merchant's own utm_* are dropped: a URL copied from last month's campaign or a newsletter would
otherwise credit this ad's orders to that campaign, and two utm_campaign values leave analytics to
pick one at random.
"""

from __future__ import annotations

import re
import unicodedata
from base64 import b32decode, b32encode
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, unquote, unquote_plus, urlencode, urlsplit
from uuid import UUID

from adly_events.contracts.catalog import OrderAttribution, UtmParameters
from adly_events.contracts.common import AdPlatform
from adly_events.landing_urls import landing_params as _params
from adly_kit.errors import InvalidInput

SOURCES = {AdPlatform.META: "facebook", AdPlatform.TIKTOK: "tiktok", AdPlatform.SNAPCHAT: "snapchat",
           AdPlatform.GOOGLE_ADS: "google"}
PLATFORMS = {source: platform for platform, source in SOURCES.items()}
CAMPAIGN, AD = "adly_c", "adly_a"
SLUG_LENGTH = 48
# `adly-` then 26 base32 letters, alone or after a slug; tolerant of `_` or a space for the dash.
ID_IN_VALUE = re.compile(r"(?:^|[^0-9a-z])adly[-_ ]?([a-z2-7]{26})$", re.IGNORECASE)
STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
T = TypeVar("T")
PATH_SAFE = "/:@!$&'()*+,;=-._~%"
QUERY_SAFE = "/?:@!$'()*+,;=-._~%"


@dataclass(frozen=True)
class Tags:
    campaign_id: UUID
    ad_id: UUID | None = None
    platform: AdPlatform | None = None


def tagged_url(url: str, *, platform: AdPlatform, campaign_id: UUID, ad_id: UUID, campaign_name: str) -> str:
    scheme, netloc, path, query, fragment = _parts(url)
    kept = [pair for pair in query.split("&") if pair and not _ours(pair)]
    tags = urlencode([
        ("utm_source", SOURCES[platform]),
        ("utm_medium", "cpc" if platform == AdPlatform.GOOGLE_ADS else "paid_social"),
        ("utm_campaign", f"{slug(campaign_name)}_adly-{short_id(campaign_id)}"),
        ("utm_content", f"adly-{short_id(ad_id)}"),
        ("utm_id", str(campaign_id)), (CAMPAIGN, str(campaign_id)), (AD, str(ad_id)),
    ], quote_via=quote, safe="")
    query = "&".join([*(_encode(pair, QUERY_SAFE) for pair in kept), tags])
    return f"{scheme}://{netloc}{_encode(path, PATH_SAFE) or '/'}?{query}" + (
        f"#{_encode(fragment, QUERY_SAFE)}" if fragment else "")


def read_tags(url_or_query: str | None) -> Tags | None:
    """The campaign and ad a landing URL, a path with its query (`landing_site`) or a bare query names."""
    if not url_or_query:
        return None
    return _tags(_params(url_or_query))


def read_utm(utm: UtmParameters) -> Tags | None:
    """The same from the utm values a store kept without the URL."""
    params = [("utm_source", utm.source), ("utm_campaign", utm.campaign), ("utm_content", utm.content)]
    return _tags([(key, value) for key, value in params if value])


def read_attribution(attribution: OrderAttribution) -> Tags | None:
    """The first of an order's signals that names an ADLY campaign: its landing site, its utm values,
    then its last visit and its first (an order's journey ends with the ad that sold)."""
    visits = [v for v in (attribution.last_visit, attribution.first_visit) if v is not None]
    found = [read_tags(attribution.landing_site), read_utm(attribution.utm)]
    found += [tags for v in visits for tags in (read_tags(v.landing_page), read_utm(v.utm))]
    return next((tags for tags in found if tags is not None), None)


def short_id(value: UUID) -> str:
    return b32encode(value.bytes).decode("ascii").rstrip("=").lower()


def slug(name: str) -> str:
    """A name as a utm value: lowercase letters and digits of any script, dashes between words;
    Arabic diacritics and tatweel dropped so the same word always gives the same slug."""
    text = unicodedata.normalize("NFKC", name).lower()
    kept = "".join("" if unicodedata.category(c) in ("Mn", "Cf") or c == "\u0640" else c if c.isalnum() else "-"
                   for c in text)
    return re.sub("-+", "-", kept).strip("-")[:SLUG_LENGTH].strip("-") or "campaign"


def _parts(url: str) -> tuple[str, str, str, str, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidInput("The landing page's address is not a valid URL.", field="landing_url") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput("The landing page must be a full http(s) address, e.g. https://yourstore.com/.",
                           field="landing_url")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else _host(parts.hostname)
    user = parts.netloc.rpartition("@")[0]
    netloc = (f"{_encode(user, PATH_SAFE)}@" if user else "") + host + (f":{port}" if port is not None else "")
    return parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment


def _host(name: str) -> str:
    """An internationalised host name as browsers send it: each non-ASCII label NFC-normalised and
    punycoded (IDNA 2008, so `straße` stays itself rather than IDNA 2003's `strasse`)."""
    labels = name.rstrip(".").split(".")
    if not all(0 < len(label) < 64 and all(c.isalnum() or c in "-_" or unicodedata.category(c)[0] == "M"
                                           for c in label) for label in labels):
        raise InvalidInput(f"{name!r} is not a valid host name.", field="landing_url")
    return ".".join(label if label.isascii() else
                    "xn--" + unicodedata.normalize("NFC", label).encode("punycode").decode("ascii")
                    for label in labels)


def _encode(text: str, safe: str) -> str:
    """Percent-encodes what is not URL-safe (Arabic letters as UTF-8) and keeps escapes already there."""
    return quote(STRAY_PERCENT.sub("%25", text), safe=safe)


def _ours(pair: str) -> bool:
    key = unquote_plus(pair.partition("=")[0]).strip().lower()
    return key.startswith("utm_") or key in (CAMPAIGN, AD)


def _tags(params: Iterable[tuple[str, str]]) -> Tags | None:
    values: dict[str, list[str]] = {}
    for key, value in params:
        values.setdefault(key, []).append(value)
    campaign = _first(map(_uuid, values.get(CAMPAIGN, []))) or _first(map(_embedded, values.get("utm_campaign", [])))
    if campaign is None:
        return None
    ad = _first(map(_uuid, values.get(AD, []))) or _first(map(_embedded, values.get("utm_content", [])))
    platform = _first(PLATFORMS.get(v.strip().lower()) for v in values.get("utm_source", []))
    return Tags(campaign_id=campaign, ad_id=ad, platform=platform)


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
    raw = b32decode(match.group(1).upper() + "======")
    found = UUID(bytes=raw)
    return found if short_id(found) == match.group(1).lower() else None
