"""Calendar periods in Asia/Shanghai: rollover at local midnight, the clock-skew band."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from airlock.ledger.periods import moment, window_start, year_elapsed

TZ = "Asia/Shanghai"
# midnight 1 January 2027 in Shanghai is 16:00 UTC on 31 December 2026
MIDNIGHT = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "skew", "year", "periods"),
    [
        (-1, 0, 2026, (2026,)),  # 23:59:59 in Shanghai: still 2026
        (0, 0, 2027, (2027,)),  # 00:00:00: the new year
        (-8 * 3600, 0, 2026, (2026,)),  # 08:00 UTC on 31 Dec: 2026 in UTC and Shanghai
        (3600, 0, 2027, (2027,)),  # 17:00 UTC on 31 Dec is already 2027 in Shanghai
        (-60, 120, 2026, (2026, 2027)),  # within the skew band: recorded in both years
        (60, 120, 2027, (2026, 2027)),
        (-121, 120, 2026, (2026,)),
        (121, 120, 2027, (2027,)),
    ],
)
def test_rollover_at_shanghai_midnight(offset: int, skew: float, year: int, periods: tuple[int, ...]) -> None:
    m = moment(MIDNIGHT + timedelta(seconds=offset), TZ, skew)
    assert (m.year, m.periods) == (year, periods)


def test_boundary_copies_file_under_december_and_january() -> None:
    m = moment(MIDNIGHT - timedelta(seconds=5), TZ, 120)
    assert (m.month_in(2026), m.month_in(2027)) == (12, 1)
    m = moment(MIDNIGHT + timedelta(seconds=5), TZ, 120)
    assert (m.month_in(2026), m.month_in(2027)) == (12, 1)


def test_timestamps_and_aware_datetimes_agree() -> None:
    ts = MIDNIGHT.timestamp()
    other = MIDNIGHT.astimezone(timezone(timedelta(hours=-5)))
    assert moment(ts, TZ).local == moment(other, TZ).local == moment(MIDNIGHT, TZ).local
    with pytest.raises(ValueError, match="timezone-aware"):
        moment(datetime(2026, 1, 1), TZ)


def test_windows_and_projection_fraction() -> None:
    assert window_start("current_year", 2026).isoformat() == "2026-01-01"
    assert window_start("previous_and_current_year", 2026).isoformat() == "2025-01-01"
    half = moment(datetime(2026, 7, 2, 4, 0, tzinfo=UTC), TZ).local  # 12:00 on 2 July in Shanghai
    assert 0.49 < year_elapsed(half) < 0.51
