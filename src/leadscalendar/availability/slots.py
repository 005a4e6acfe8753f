"""Bookable slots: working hours minus blocked time, under a booking type's rules.

``compute_slots`` lists what the booking page offers; ``check_slot`` answers
the same question for one start time when a lead submits it (under the
per-host lock). Both are built from the same pieces and a property test holds
them to exactly the same answer.

A slot start is a local wall time on a host-local date that is

1. a multiple of ``step`` after local midnight and not in a DST gap; a wall
   time that happens twice (the hour repeated when clocks go back) is offered
   at both occurrences, because both are real hours the host may work (the
   lead's page tells them apart by their zone abbreviation, e.g. EDT / EST);
2. inside one working interval of that date, with the whole slot inside the
   interval's instants (boundaries per ``zones.wall_to_us``);
3. at or after ``now + minimum_notice``, on a date at most ``max_days_ahead``
   host-local days after today, on a date below the daily limit;
4. such that [start - buffer_before, end + buffer_after) overlaps neither a
   busy interval nor an existing booking widened by its own buffers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from leadscalendar.availability.blocked import (
    BlockedIndex,
    booking_spans,
    busy_spans,
    overlaps_any,
)
from leadscalendar.availability.errors import SlotRejection
from leadscalendar.availability.types import (
    BookingRules,
    BusyInterval,
    DaySeconds,
    ExistingBooking,
    Slot,
    WorkingHours,
)
from leadscalendar.availability.zones import (
    US_PER_SECOND,
    from_us,
    naive_us,
    offsets_us,
    require_aware,
    to_us,
    to_us_delta,
    wall_boundary,
    wall_to_us,
)

_ONE_DAY = timedelta(days=1)


def _day_candidates(
    zone: ZoneInfo, intervals: DaySeconds, day: date, step: int, duration: int
) -> Iterator[int]:
    """Slot starts (µs) on one local date that satisfy rules 1 and 2, in order."""
    for wall_start, wall_end in intervals:
        span_start, plain_start = wall_boundary(day, wall_start, zone)
        span_end, plain_end = wall_boundary(day, wall_end, zone)
        latest_start = span_end - duration
        first = -(-wall_start // step) * step
        if first >= wall_end or span_start > latest_start:
            continue
        if (
            plain_start
            and plain_end
            and span_end - span_start == (wall_end - wall_start) * US_PER_SECOND
        ):
            # One offset at both ends, neither skipped nor repeated: no transition
            # inside (no zone in current tzdata changes twice within a day), so
            # one subtraction converts every candidate.
            base = span_start - wall_start * US_PER_SECOND
            for second in range(first, wall_end, step):
                instant = base + second * US_PER_SECOND
                if instant > latest_start:
                    break
                yield instant
            continue
        # A transition inside: convert each wall time on its own; a repeated wall
        # time yields both of its instants, so the day is sorted before it is used.
        instants: list[int] = []
        for second in range(first, wall_end, step):
            offset0, offset1 = offsets_us(day, second, zone)
            if offset1 > offset0:  # in the gap: this wall time never happens
                continue
            naive = naive_us(day, second)
            for offset in (offset0,) if offset0 == offset1 else (offset0, offset1):
                if span_start <= naive - offset <= latest_start:
                    instants.append(naive - offset)
        yield from sorted(instants)


def _today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def _day_is_full(rules: BookingRules, per_day: Mapping[date, int] | None, day: date) -> bool:
    if rules.daily_limit is None:
        return False
    return (per_day or {}).get(day, 0) >= rules.daily_limit


def _require_aware(**values: datetime) -> None:
    for name, value in values.items():
        require_aware(value, name)


def compute_slots(
    hours: WorkingHours,
    rules: BookingRules,
    *,
    now: datetime,
    window_start: datetime,
    window_end: datetime,
    busy: Iterable[BusyInterval] = (),
    bookings: Iterable[ExistingBooking] = (),
    bookings_per_day: Mapping[date, int] | None = None,
) -> list[Slot]:
    """Every slot whose start lies in [window_start, window_end), sorted by start.

    ``bookings_per_day`` counts this host's existing bookings of this type per
    host-local date; it is taken as input because only the caller knows which
    bookings count. Slots are UTC; see ``display.group_by_day`` for the lead's view.
    """
    _require_aware(now=now, window_start=window_start, window_end=window_end)
    zone = hours.zone
    step = int(rules.step.total_seconds())
    duration = to_us_delta(rules.duration)
    before = to_us_delta(rules.buffer_before)
    after = to_us_delta(rules.buffer_after)
    earliest = max(to_us(window_start), to_us(now) + to_us_delta(rules.minimum_notice))
    stop = to_us(window_end)
    if earliest >= stop:
        return []

    day = from_us(earliest).astimezone(zone).date()
    last_day = from_us(stop - 1).astimezone(zone).date()
    if rules.max_days_ahead is not None:
        last_day = min(last_day, _today(now, zone) + timedelta(days=rules.max_days_ahead))
    blocked = BlockedIndex(busy_spans(busy) + booking_spans(bookings))

    slots: list[Slot] = []
    while day <= last_day:
        if not _day_is_full(rules, bookings_per_day, day):
            for start in _day_candidates(zone, hours.day_seconds(day), day, step, duration):
                if start < earliest or start >= stop:
                    continue
                if blocked.overlaps(start - before, start + duration + after):
                    continue
                slots.append(Slot(from_us(start), from_us(start + duration)))
        day += _ONE_DAY
    # Already in order (days ascend, each day's instants are sorted); the sort
    # is a cheap O(n) guarantee for callers that bisect.
    slots.sort()
    return slots


def check_slot(
    hours: WorkingHours,
    rules: BookingRules,
    start: datetime,
    *,
    now: datetime,
    busy: Iterable[BusyInterval] = (),
    bookings: Iterable[ExistingBooking] = (),
    bookings_per_day: Mapping[date, int] | None = None,
) -> SlotRejection | None:
    """Why ``start`` is not offered, or ``None`` when it is.

    Agrees exactly with membership in ``compute_slots`` for any window that
    contains ``start``. Call it under the per-host lock with fresh busy times and
    bookings, then raise ``SlotUnavailableError(reason)`` on a rejection.
    """
    _require_aware(start=start, now=now)
    zone = hours.zone
    instant = to_us(start)
    duration = to_us_delta(rules.duration)
    step = int(rules.step.total_seconds())

    local = start.astimezone(zone)
    second = local.hour * 3600 + local.minute * 60 + local.second
    # fold=1 (the repeated hour's second pass) is a start like any other.
    if local.microsecond or second % step:
        return SlotRejection.NOT_A_SLOT_START
    day = local.date()
    inside = any(
        wall_start <= second < wall_end
        and wall_to_us(day, wall_start, zone) <= instant
        and instant + duration <= wall_to_us(day, wall_end, zone)
        for wall_start, wall_end in hours.day_seconds(day)
    )
    if not inside:
        return SlotRejection.OUTSIDE_WORKING_HOURS
    if instant < to_us(now) + to_us_delta(rules.minimum_notice):
        return SlotRejection.TOO_SOON
    if rules.max_days_ahead is not None and day > _today(now, zone) + timedelta(
        days=rules.max_days_ahead
    ):
        return SlotRejection.TOO_FAR_AHEAD
    if _day_is_full(rules, bookings_per_day, day):
        return SlotRejection.DAILY_LIMIT_REACHED
    padded_start = instant - to_us_delta(rules.buffer_before)
    padded_end = instant + duration + to_us_delta(rules.buffer_after)
    if overlaps_any(busy_spans(busy), padded_start, padded_end):
        return SlotRejection.CALENDAR_BUSY
    if overlaps_any(booking_spans(bookings), padded_start, padded_end):
        return SlotRejection.ALREADY_BOOKED
    return None


def is_slot_available(
    hours: WorkingHours,
    rules: BookingRules,
    start: datetime,
    *,
    now: datetime,
    busy: Iterable[BusyInterval] = (),
    bookings: Iterable[ExistingBooking] = (),
    bookings_per_day: Mapping[date, int] | None = None,
) -> bool:
    """Whether ``start`` is offered: ``check_slot`` without the reason."""
    return (
        check_slot(
            hours,
            rules,
            start,
            now=now,
            busy=busy,
            bookings=bookings,
            bookings_per_day=bookings_per_day,
        )
        is None
    )
