"""A brute-force reading of the slot rules, written independently of the code under test.

It answers "is this instant offered?" one instant at a time, straight from the
definitions: wall-clock readings found by searching instants (not by zoneinfo's
fold arithmetic), blocked time by scanning every interval. Slow on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from leadscalendar.availability import BookingRules, BusyInterval, ExistingBooking, WorkingHours

QUARTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Scenario:
    hours: WorkingHours
    rules: BookingRules
    now: datetime
    window_start: datetime
    window_end: datetime
    busy: tuple[BusyInterval, ...]
    bookings: tuple[ExistingBooking, ...]
    per_day: dict[date, int]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.hours.time_zone)


def reading(instant: datetime, zone: ZoneInfo) -> tuple[date, time]:
    local = instant.astimezone(zone)
    return local.date(), local.time()


@lru_cache(maxsize=4096)
def boundary(zone_name: str, day: date, minutes: int) -> datetime:
    """The first instant whose local reading is at or after ``day`` + ``minutes``.

    Searched on the UTC quarter-hour grid: every boundary in the tests is on the
    local quarter-hour grid and every zone used has offsets in whole half hours.
    """
    assert minutes % 15 == 0, "boundaries are on the quarter-hour grid"
    zone = ZoneInfo(zone_name)
    target = (day + timedelta(days=minutes // 1440), time(minutes % 1440 // 60, minutes % 60))
    instant = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=16)
    while reading(instant, zone) < target:
        instant += QUARTER
    return instant


def merged_intervals(hours: WorkingHours, day: date) -> list[tuple[int, int]]:
    """A day's intervals in minutes, 24:00 as 1440, unions taken."""
    raw = hours.overrides[day] if day in hours.overrides else hours.weekly.get(day.weekday(), ())
    spans = sorted(
        (item.start.hour * 60 + item.start.minute, item.end.hour * 60 + item.end.minute or 1440)
        for item in raw
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    """Half-open overlap; an empty interval (a zero-length event) blocks nothing."""
    return other_start < other_end and other_start < end and start < other_end


def blocked(scenario: Scenario, start: datetime, end: datetime) -> bool:
    rules = scenario.rules
    padded_start, padded_end = start - rules.buffer_before, end + rules.buffer_after
    if any(overlaps(padded_start, padded_end, item.start, item.end) for item in scenario.busy):
        return True
    return any(
        overlaps(
            padded_start,
            padded_end,
            item.start - item.buffer_before,
            item.end + item.buffer_after,
        )
        for item in scenario.bookings
    )


def offered(scenario: Scenario, start: datetime) -> bool:
    """Whether the rules offer a slot starting at ``start``."""
    zone, rules = scenario.zone, scenario.rules
    if not scenario.window_start <= start < scenario.window_end:
        return False
    local = start.astimezone(zone)
    minutes = local.hour * 60 + local.minute
    step = int(rules.step.total_seconds()) // 60
    if local.second or local.microsecond or minutes % step:
        return False
    end = start + rules.duration
    day = local.date()
    inside = any(
        low <= minutes < high
        and boundary(scenario.hours.time_zone, day, low) <= start
        and end <= boundary(scenario.hours.time_zone, day, high)
        for low, high in merged_intervals(scenario.hours, day)
    )
    if not inside or start < scenario.now + rules.minimum_notice:
        return False
    today = scenario.now.astimezone(zone).date()
    if rules.max_days_ahead is not None and (day - today).days > rules.max_days_ahead:
        return False
    if rules.daily_limit is not None and scenario.per_day.get(day, 0) >= rules.daily_limit:
        return False
    return not blocked(scenario, start, end)
