"""Performance as a series of revisions: one series per (campaign, platform, level, object, day,
hour); a pull that finds a series' figures changed makes its next revision, and only then.

Platforms restate recent days (late conversions, invalid clicks refunded), so every pull reads
the last days again; comparing with what was reported decides what is news. The same figures
read twice make nothing, so a replayed or repeated pull never doubles a day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid5

from adly_campaigns.domain.ports import PerformanceRow
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.common import AdPlatform

_SERIES = UUID("8c7f3f36-3b0e-4f55-9d1e-6a1c2b7f40a9")   # uuid5 namespace of performance series


def plain(value: Decimal) -> Decimal:
    """One spelling per amount ("12.50" and "12.5" are one figure), never an exponent ("8E+1")."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


@dataclass(frozen=True)
class Figures:
    impressions: int
    clicks: int
    spend: Decimal
    conversions: Decimal
    conversion_value: Decimal
    reach: int | None = None

    @classmethod
    def of(cls, row: PerformanceRow) -> Figures:
        # Normalised so that "12.50" and "12.5" are the same figure, not a restatement.
        return cls(row.impressions, row.clicks, plain(row.spend), plain(row.conversions),
                   plain(row.conversion_value), row.reach)


@dataclass(frozen=True)
class Series:
    campaign_id: UUID
    platform: AdPlatform
    level: PerformanceLevel
    platform_object_id: str
    day: date
    hour: int | None

    @property
    def id(self) -> UUID:
        hour = "" if self.hour is None else f"{self.hour:02d}"
        return uuid5(_SERIES, f"{self.campaign_id}|{self.platform.value}|{self.level.value}|{self.platform_object_id}"
                              f"|{self.day.isoformat()}|{hour}")


@dataclass(frozen=True)
class Revision:
    series: Series
    revision: int
    figures: Figures
    row: PerformanceRow


def news(campaign_id: UUID, platform: AdPlatform, rows: Sequence[PerformanceRow],
         reported: Mapping[UUID, tuple[int, Figures]]) -> list[Revision]:
    """The revisions a pull makes: a series seen for the first time is revision 1; one whose
    figures differ from its last report is the next; one that did not move makes none. A row
    that came twice in one pull counts once, the last one winning."""
    latest: dict[UUID, tuple[Series, PerformanceRow]] = {}
    for row in rows:
        series = Series(campaign_id, platform, row.level, row.platform_object_id, row.day, row.hour)
        latest[series.id] = (series, row)
    made = []
    for series_id, (series, row) in latest.items():
        figures = Figures.of(row)
        before = reported.get(series_id)
        if before is not None and before[1] == figures:
            continue
        made.append(Revision(series, (before[0] if before else 0) + 1, figures, row))
    return made
