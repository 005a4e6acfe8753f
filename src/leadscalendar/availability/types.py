"""Inputs and outputs of the slot computation: frozen, validated on construction.

Validation happens here rather than in the computation so that a host's bad
settings fail when they are saved, with a message the host can act on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from leadscalendar.availability.errors import InvalidRulesError
from leadscalendar.availability.zones import load_zone, require_aware

# Working intervals of one local day, as (start, end) seconds since local midnight,
# sorted, disjoint and non-touching; end may be 86400 (midnight at the end of the day).
DaySeconds = tuple[tuple[int, int], ...]

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class WorkingInterval:
    """A span of local wall-clock time within one day, e.g. 09:00-17:00.

    ``end == time(0)`` means midnight at the end of the day (24:00). Intervals
    that cross midnight are not supported: split them over two days.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value.tzinfo is not None or value.microsecond:
                raise InvalidRulesError(
                    "Working hours are local wall-clock times: no time zone, no microseconds."
                )
        start, end = self.seconds
        if start >= end:
            raise InvalidRulesError(
                f"Working hours {self.start:%H:%M}-{self.end:%H:%M} end before they start."
            )

    @property
    def seconds(self) -> tuple[int, int]:
        """(start, end) in seconds since local midnight; end is 86400 for 24:00."""
        start = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        end = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        return start, end or 86_400


def _merge(intervals: Sequence[WorkingInterval]) -> DaySeconds:
    """Union of a day's intervals: overlapping or touching ones become one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(interval.seconds for interval in intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """When a host works, in the host's IANA time zone.

    ``weekly`` maps ``date.weekday()`` (Monday = 0) to that day's intervals; a
    missing weekday is a day off. ``overrides`` replaces the weekly pattern on
    specific local dates; an empty sequence there makes the date a day off.
    """

    time_zone: str
    weekly: Mapping[int, Sequence[WorkingInterval]]
    overrides: Mapping[date, Sequence[WorkingInterval]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _weekly_seconds: tuple[DaySeconds, ...] = field(init=False, repr=False, compare=False)
    _override_seconds: Mapping[date, DaySeconds] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weekly) - set(range(7)))
        if unknown:
            raise InvalidRulesError(f"Weekdays are 0 (Monday) to 6 (Sunday), not {unknown}.")
        # Freeze the caller's containers so later mutation cannot change the rules.
        weekly = {day: tuple(self.weekly[day]) for day in sorted(self.weekly)}
        overrides = {day: tuple(self.overrides[day]) for day in sorted(self.overrides)}
        object.__setattr__(self, "zone", load_zone(self.time_zone))
        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "overrides", MappingProxyType(overrides))
        object.__setattr__(
            self, "_weekly_seconds", tuple(_merge(weekly.get(day, ())) for day in range(7))
        )
        object.__setattr__(
            self,
            "_override_seconds",
            MappingProxyType({day: _merge(spans) for day, spans in overrides.items()}),
        )

    def day_seconds(self, day: date) -> DaySeconds:
        """The merged working intervals of a local date, overrides first."""
        override = self._override_seconds.get(day)
        if override is not None:
            return override
        return self._weekly_seconds[day.weekday()]


@dataclass(frozen=True, slots=True)
class BookingRules:
    """A booking type's scheduling rules.

    ``step`` is the spacing of start times, aligned to local midnight (so to the
    local hour whenever it divides 60 minutes). Buffers pad the new slot *and*
    each existing booking carries its own (see ``ExistingBooking``); a slot's
    buffers may fall outside working hours, the slot itself may not.
    ``max_days_ahead`` counts host-local calendar days from today (0 = today
    only); ``daily_limit`` caps this type's bookings per host-local day.
    ``None`` means no limit.
    """

    duration: timedelta
    step: timedelta
    buffer_before: timedelta = _ZERO
    buffer_after: timedelta = _ZERO
    minimum_notice: timedelta = _ZERO
    max_days_ahead: int | None = None
    daily_limit: int | None = None

    def __post_init__(self) -> None:
        if self.duration <= _ZERO:
            raise InvalidRulesError(f"Duration must be positive, not {self.duration}.")
        if self.step <= _ZERO:
            raise InvalidRulesError(f"Slot step must be positive, not {self.step}.")
        if self.step % timedelta(minutes=1):
            raise InvalidRulesError(f"Slot step must be whole minutes, not {self.step}.")
        for name in ("buffer_before", "buffer_after", "minimum_notice"):
            if getattr(self, name) < _ZERO:
                raise InvalidRulesError(
                    f"{name.replace('_', ' ').capitalize()} cannot be negative."
                )
        if self.max_days_ahead is not None and self.max_days_ahead < 0:
            raise InvalidRulesError("Days ahead cannot be negative.")
        if self.daily_limit is not None and self.daily_limit < 0:
            raise InvalidRulesError("Daily limit cannot be negative.")


@dataclass(frozen=True, slots=True)
class BusyInterval:
    """Time the host's calendar reports busy (Google freeBusy); half-open [start, end)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "Busy interval start")
        require_aware(self.end, "Busy interval end")


@dataclass(frozen=True, slots=True)
class ExistingBooking:
    """An active booking (held, awaiting payment, paid, scheduled) of any type of this host.

    Its buffers are those of *its* booking type, which may differ from the type
    whose slots are being computed.
    """

    start: datetime
    end: datetime
    buffer_before: timedelta = _ZERO
    buffer_after: timedelta = _ZERO

    def __post_init__(self) -> None:
        require_aware(self.start, "Booking start")
        require_aware(self.end, "Booking end")


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A bookable [start, end), both aware UTC datetimes."""

    start: datetime
    end: datetime
