"""The lead's view: host slots regrouped by the lead's calendar days."""

from __future__ import annotations

from datetime import date, timedelta

from leadscalendar.availability import Slot, compute_slots, format_local_time, group_by_day
from tests.availability.helpers import NOW, every_day, local, rules, utc


def test_slots_regroup_by_the_leads_dates() -> None:
    # Paris 08:00-10:00 on Monday is Sunday 23:00 to Monday 01:00 in Los Angeles.
    hours = every_day("Europe/Paris", "08:00-10:00")
    window_start = local("Europe/Paris", "2026-01-05 00:00")
    slots = compute_slots(
        hours,
        rules(60, 60),
        now=NOW,
        window_start=window_start,
        window_end=window_start + timedelta(days=1),
    )
    days = group_by_day(slots, "America/Los_Angeles")
    assert [day.day for day in days] == [date(2026, 1, 4), date(2026, 1, 5)]
    assert [[item.label for item in day.slots] for day in days] == [
        ["23:00\u201300:00 (+1)"],
        ["00:00\u201301:00"],
    ]
    assert days[1].slots[0].slot == slots[1]
    assert days[1].slots[0].start.tzname() == "PST"


def test_twelve_hour_clock() -> None:
    slot = Slot(utc("2026-01-05 00:30"), utc("2026-01-05 12:45"))
    (day,) = group_by_day([slot], "UTC", clock="12h")
    assert day.slots[0].label == "12:30 AM\u201312:45 PM"


def test_repeated_wall_times_are_told_apart() -> None:
    first = Slot(utc("2026-11-01 05:30"), utc("2026-11-01 06:00"))
    second = Slot(utc("2026-11-01 06:30"), utc("2026-11-01 07:00"))
    (day,) = group_by_day([second, first], "America/New_York")
    assert [item.label for item in day.slots] == [
        "01:30 EDT\u201301:00 EST",
        "01:30 EST\u201302:00",
    ]
    assert format_local_time(local("America/New_York", "2026-11-01 01:30", fold=1)) == "01:30 EST"
    assert format_local_time(local("America/New_York", "2026-11-01 09:05"), "12h") == "9:05 AM"


def test_no_slots_no_days() -> None:
    assert group_by_day([], "Europe/Paris") == []
