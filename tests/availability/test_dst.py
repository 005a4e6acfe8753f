"""Working hours on the days clocks change, in Paris, New York and stranger zones.

Expected instants are written out by hand (not computed with zoneinfo) so the
tests would catch a conversion that zoneinfo and the code got wrong together.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest

from leadscalendar.availability import (
    WorkingHours,
    check_slot,
    compute_slots,
    is_slot_available,
)
from leadscalendar.availability.zones import from_us, wall_to_us
from tests.availability.helpers import NOW, day_window, every_day, rules, utc


def slots_on(hours: WorkingHours, day: date, minutes: int = 30, step: int = 30) -> list[datetime]:
    window_start, window_end = day_window(hours.time_zone, day)
    return [
        slot.start
        for slot in compute_slots(
            hours, rules(minutes, step), now=NOW, window_start=window_start, window_end=window_end
        )
    ]


def walls(hours: WorkingHours, starts: list[datetime]) -> list[str]:
    return [f"{start.astimezone(hours.zone):%H:%M %Z}" for start in starts]


@pytest.mark.parametrize(
    ("zone", "day", "first", "last_end"),
    [
        # Paris: CET (+1) until 2026-03-29 01:00 UTC, CEST (+2) until 2026-10-25 01:00 UTC.
        ("Europe/Paris", date(2026, 3, 28), "2026-03-28 08:00", "2026-03-28 16:00"),
        ("Europe/Paris", date(2026, 3, 29), "2026-03-29 07:00", "2026-03-29 15:00"),
        ("Europe/Paris", date(2026, 10, 24), "2026-10-24 07:00", "2026-10-24 15:00"),
        ("Europe/Paris", date(2026, 10, 25), "2026-10-25 08:00", "2026-10-25 16:00"),
        # New York: EST (-5) until 2026-03-08 07:00 UTC, EDT (-4) until 2026-11-01 06:00 UTC.
        ("America/New_York", date(2026, 3, 7), "2026-03-07 14:00", "2026-03-07 22:00"),
        ("America/New_York", date(2026, 3, 8), "2026-03-08 13:00", "2026-03-08 21:00"),
        ("America/New_York", date(2026, 10, 31), "2026-10-31 13:00", "2026-10-31 21:00"),
        ("America/New_York", date(2026, 11, 1), "2026-11-01 14:00", "2026-11-01 22:00"),
    ],
)
def test_nine_to_five_on_and_around_change_days(
    zone: str, day: date, first: str, last_end: str
) -> None:
    hours = every_day(zone, "09:00-17:00")
    starts = slots_on(hours, day)
    assert len(starts) == 16
    assert starts[0] == utc(first)
    assert starts[-1] + timedelta(minutes=30) == utc(last_end)
    assert starts == [utc(first) + timedelta(minutes=30 * index) for index in range(16)]


@pytest.mark.parametrize(
    ("zone", "day", "gap_hour"),
    [("Europe/Paris", date(2026, 3, 29), 2), ("America/New_York", date(2026, 3, 8), 2)],
)
def test_spring_forward_never_offers_a_missing_wall_time(
    zone: str, day: date, gap_hour: int
) -> None:
    hours = every_day(zone, "00:00-06:00")
    starts = slots_on(hours, day)
    offered = walls(hours, starts)
    assert not [wall for wall in offered if wall.startswith(f"{gap_hour:02}:")]
    # Six wall-clock hours, five real ones: ten half-hour slots.
    assert len(starts) == 10
    # The slot before the gap is 30 real minutes long and ends after it.
    before_gap = starts[2 * gap_hour - 1]
    assert walls(hours, [before_gap, before_gap + timedelta(minutes=30)])[1].startswith("03:00")


def test_paris_spring_forward_slots_are_exact() -> None:
    hours = every_day("Europe/Paris", "00:00-06:00")
    assert slots_on(hours, date(2026, 3, 29)) == [
        utc(f"2026-03-2{day} {hour}") for day, hour in [
            (8, "23:00"), (8, "23:30"), (9, "00:00"), (9, "00:30"),  # 00:00-01:30 CET
            (9, "01:00"), (9, "01:30"), (9, "02:00"), (9, "02:30"),  # 03:00-04:30 CEST
            (9, "03:00"), (9, "03:30"),
        ]
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("zone", "day", "first", "second"),
    [
        # 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
        ("Europe/Paris", date(2026, 10, 25), "2026-10-25 00:30", "2026-10-25 01:30"),
        # 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
        ("America/New_York", date(2026, 11, 1), "2026-11-01 05:30", "2026-11-01 06:30"),
    ],
)
def test_fall_back_offers_the_repeated_hour_like_any_other_hour(
    zone: str, day: date, first: str, second: str
) -> None:
    hours = every_day(zone, "00:00-06:00")
    starts = slots_on(hours, day)
    offered = walls(hours, starts)
    # Six wall-clock hours, seven real ones: fourteen half-hour slots, each one
    # labelled apart from its twin by the zone abbreviation.
    assert len(offered) == len(set(offered)) == 14
    assert utc(first) in starts
    assert utc(second) in starts
    assert starts == sorted(starts)
    assert all(later - earlier == timedelta(minutes=30) for earlier, later in pairwise(starts))
    assert check_slot(hours, rules(), utc(second), now=NOW) is None
    assert is_slot_available(hours, rules(), utc(first), now=NOW)


def test_new_york_fall_back_slots_are_exact() -> None:
    hours = every_day("America/New_York", "00:00-03:00")
    assert walls(hours, slots_on(hours, date(2026, 11, 1), minutes=60, step=60)) == [
        "00:00 EDT", "01:00 EDT", "01:00 EST", "02:00 EST",
    ]  # fmt: skip
    assert slots_on(hours, date(2026, 11, 1), minutes=60, step=60) == [
        utc("2026-11-01 04:00"), utc("2026-11-01 05:00"),
        utc("2026-11-01 06:00"), utc("2026-11-01 07:00"),
    ]  # fmt: skip


def test_a_working_boundary_in_the_gap_means_the_transition_instant() -> None:
    paris = every_day("Europe/Paris", "02:30-05:00")
    # Not 03:30 CEST as PEP 495's fold=0 would give: the host works from 03:00 CEST,
    # the first wall reading at or after 02:30 that day.
    assert slots_on(paris, date(2026, 3, 29))[0] == utc("2026-03-29 01:00")
    morning = every_day("Europe/Paris", "00:00-02:30")
    # ... and stops at 03:00 CEST: the slot 01:30 CET-03:00 CEST is the last one.
    assert slots_on(morning, date(2026, 3, 29))[-1] == utc("2026-03-29 00:30")
    assert from_us(wall_to_us(date(2026, 3, 29), 2 * 3600 + 1800, paris.zone)) == utc(
        "2026-03-29 01:00"
    )


def test_an_ambiguous_working_boundary_means_its_first_occurrence() -> None:
    hours = every_day("Europe/Paris", "00:00-02:30")
    # Work ends at the first 02:30 (00:30 UTC), so the last slot starts at 02:00 CEST.
    assert slots_on(hours, date(2026, 10, 25))[-1] == utc("2026-10-25 00:00")


def test_half_hour_dst_in_lord_howe() -> None:
    # 2026-10-04: clocks go from 02:00 (+10:30) to 02:30 (+11).
    hours = every_day("Australia/Lord_Howe", "01:00-04:00")
    offered = walls(hours, slots_on(hours, date(2026, 10, 4), minutes=15, step=15))
    assert "02:00 +1030" not in offered and "02:15 +1030" not in offered
    assert offered[3:6] == ["01:45 +1030", "02:30 +11", "02:45 +11"]
    # 2026-04-05: 01:30-02:00 happens twice; both passes are offered.
    back = walls(hours, slots_on(hours, date(2026, 4, 5), minutes=15, step=15))
    assert len(back) == len(set(back)) == 14
    assert back[2:6] == ["01:30 +11", "01:45 +11", "01:30 +1030", "01:45 +1030"]


def test_a_day_that_starts_at_one_in_havana() -> None:
    # 2026-03-08: midnight never happens in Havana, the day begins at 01:00 CDT.
    hours = every_day("America/Havana", "00:00-03:00")
    assert slots_on(hours, date(2026, 3, 8)) == [
        utc("2026-03-08 05:00"),
        utc("2026-03-08 05:30"),
        utc("2026-03-08 06:00"),
        utc("2026-03-08 06:30"),
    ]


def test_an_interval_ending_at_midnight_before_a_change() -> None:
    # 2026-10-31 ends at 2026-11-01 00:00 CDT (04:00 UTC), the first of two midnights.
    hours = every_day("America/Havana", "22:00-00:00")
    assert slots_on(hours, date(2026, 10, 31), minutes=60, step=60) == [
        utc("2026-11-01 02:00"),
        utc("2026-11-01 03:00"),
    ]
