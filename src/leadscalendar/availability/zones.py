"""Time zone arithmetic on integers, built on ``zoneinfo`` only.

Instants are handled as integer microseconds since the Unix epoch (UTC): the
slot computation compares and adds thousands of them, and ints are several
times faster than aware datetimes while being exact.

Local wall times are turned into instants with one rule, used everywhere:

- an ambiguous wall time (the repeated hour when clocks go back) as a
  working-hours *boundary* means its *first* occurrence, i.e. PEP 495
  ``fold=0`` (as a slot start, both occurrences are offered: see ``slots``);
- a wall time that does not exist (skipped when clocks go forward) is a
  *boundary* only, never a slot start; as a boundary it means the transition
  instant itself, i.e. the first instant whose wall reading is at or after it.
  (PEP 495 would move it forward by the gap length instead, which would lengthen
  or shorten the host's day.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadscalendar.availability.errors import NaiveDatetimeError, UnknownTimeZoneError

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = EPOCH.date().toordinal()
_ONE_US = timedelta(microseconds=1)


def load_zone(name: str) -> ZoneInfo:
    """Load an IANA zone, turning zoneinfo's assorted exceptions into one of ours."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise UnknownTimeZoneError(name) from exc


def require_aware(value: datetime, what: str) -> None:
    """Refuse naive datetimes at the boundary, as DESIGN.md requires."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(what)


def to_us(value: datetime) -> int:
    """An aware datetime as microseconds since the epoch."""
    return (value - EPOCH) // _ONE_US


def from_us(value: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=value)


def to_us_delta(value: timedelta) -> int:
    return value // _ONE_US


def naive_us(day: date, second_of_day: int) -> int:
    """The wall time ``day`` + ``second_of_day`` read as if it were UTC, in microseconds."""
    return (day.toordinal() - _EPOCH_ORDINAL) * US_PER_DAY + second_of_day * US_PER_SECOND


def offsets_us(day: date, second_of_day: int, zone: ZoneInfo) -> tuple[int, int]:
    """UTC offsets of a wall time read with fold=0 and fold=1.

    Equal offsets: an ordinary wall time. fold=1's offset larger: the wall time is
    in a gap (clocks went forward). fold=0's larger: it is ambiguous (clocks went back).
    """
    if second_of_day >= 86_400:
        day, second_of_day = day + timedelta(days=1), second_of_day - 86_400
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    wall = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)
    offset0 = zone.utcoffset(wall)
    offset1 = zone.utcoffset(wall.replace(fold=1))
    assert offset0 is not None and offset1 is not None  # ZoneInfo always answers
    return to_us_delta(offset0), to_us_delta(offset1)


def offset_at_us(instant: int, zone: ZoneInfo) -> int:
    """The zone's UTC offset at an instant."""
    offset = zone.utcoffset(from_us(instant).astimezone(zone))
    assert offset is not None
    return to_us_delta(offset)


def wall_boundary(day: date, second_of_day: int, zone: ZoneInfo) -> tuple[int, bool]:
    """The instant a local wall-time *boundary* stands for, and whether the wall time is plain.

    Plain means neither skipped nor repeated, so the instant is simply the wall
    time minus the one offset in force. ``second_of_day`` may be 86400: the end
    of ``day``, i.e. the next day's midnight. See the module docstring for the rule.
    """
    naive = naive_us(day, second_of_day)
    offset0, offset1 = offsets_us(day, second_of_day, zone)
    if offset1 <= offset0:  # ordinary or ambiguous: fold=0
        return naive - offset0, offset1 == offset0
    # In a gap: the transition lies in (naive - offset1, naive - offset0]. Transitions
    # fall on whole seconds, so a binary search over seconds finds it exactly.
    low = (naive - offset1) // US_PER_SECOND  # before the transition
    high = -(-(naive - offset0) // US_PER_SECOND)  # at or after it
    before = offset_at_us(low * US_PER_SECOND, zone)
    while high - low > 1:
        middle = (low + high) // 2
        if offset_at_us(middle * US_PER_SECOND, zone) == before:
            low = middle
        else:
            high = middle
    return high * US_PER_SECOND, False


def wall_to_us(day: date, second_of_day: int, zone: ZoneInfo) -> int:
    """The instant a local wall-time boundary stands for (see ``wall_boundary``)."""
    return wall_boundary(day, second_of_day, zone)[0]
