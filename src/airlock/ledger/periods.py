"""Counting periods: calendar years in the pack's time zone, rollover and clock skew.

Subjects are stored per calendar year (``period``) in the pack's time zone (Asia/Shanghai for
the ``cn-*`` packs): a transfer at 2026-12-31T16:00:00Z is 2027-01-01 00:00 in Shanghai and
belongs to 2027. ``cn-2024`` counts the current year; ``cn-2022`` counts the previous and the
current year together.

Clock skew between replicas: the ledger uses the recording time the caller supplies (the
replica's clock). A transfer within ``skew`` seconds of midnight 1 January is recorded in
BOTH years, so however the replicas' clocks disagree by up to ``skew``, neither year can miss
it: near the boundary the ledger over-counts (by the persons of those few seconds), never
under-counts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Moment", "moment", "to_utc", "window_start", "year_elapsed", "zone"]

# Fixed offsets used only when the system has no tz database and tzdata is missing; China has
# had no daylight saving time since 1991.
_FALLBACK = {"Asia/Shanghai": timezone(timedelta(hours=8), "CST")}


@functools.cache
def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        if name in _FALLBACK:
            return _FALLBACK[name]
        raise


def to_utc(at: datetime | float) -> datetime:
    """An aware UTC datetime from a POSIX timestamp or an aware datetime (naive is refused)."""
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("the recording time must be timezone-aware (or a POSIX timestamp)")
        return at.astimezone(UTC)
    return datetime.fromtimestamp(float(at), UTC)


@dataclass(frozen=True, slots=True)
class Moment:
    """One recording time, resolved in the pack's time zone."""

    utc: datetime
    local: datetime
    #: calendar years this transfer is recorded in (two within ``skew`` of 1 January)
    periods: tuple[int, ...]

    @property
    def year(self) -> int:
        return self.local.year

    def month_in(self, period: int) -> int:
        """Month to file the transfer under in ``period`` (boundary copies go to Dec / Jan)."""
        if period == self.local.year:
            return self.local.month
        return 12 if period < self.local.year else 1


def moment(at: datetime | float, tz: str, skew_seconds: float = 0.0) -> Moment:
    utc = to_utc(at)
    z = zone(tz)
    local = utc.astimezone(z)
    skew = timedelta(seconds=skew_seconds)
    years = {local.year, (utc - skew).astimezone(z).year, (utc + skew).astimezone(z).year}
    return Moment(utc, local, tuple(sorted(years)))


def window_start(window: str, year: int) -> date:
    """First day counted in ``year`` for the pack's window."""
    return date(year - 1, 1, 1) if window == "previous_and_current_year" else date(year, 1, 1)


def year_elapsed(local: datetime) -> float:
    """Fraction of the local calendar year elapsed at ``local`` (for projections), in (0, 1]."""
    start = datetime(local.year, 1, 1, tzinfo=local.tzinfo)
    end = datetime(local.year + 1, 1, 1, tzinfo=local.tzinfo)
    return max((local - start) / (end - start), 1e-9)
