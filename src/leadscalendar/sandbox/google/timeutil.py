"""RFC 3339 the way the Calendar API reads and writes it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class TimeFormatError(ValueError):
    """Not RFC 3339, or a local time with nothing saying where it is local."""


def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_datetime(value: str, time_zone: str | None = None) -> datetime:
    """An aware datetime; a value without offset is read in ``time_zone``."""
    match = _DATETIME.match(value)
    if match is None:
        raise TimeFormatError(value)
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = match.group(7)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    offset = match.group(8)
    try:
        naive = datetime(year, month, day, hour, minute, second, micro)  # noqa: DTZ001
    except ValueError as exc:
        raise TimeFormatError(value) from exc
    if offset is None:
        tz = zone(time_zone) if time_zone else None
        if tz is None:
            raise TimeFormatError(value)
        return naive.replace(tzinfo=tz)
    if offset in ("Z", "z"):
        return naive.replace(tzinfo=UTC)
    sign = 1 if offset[0] == "+" else -1
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    return (naive - sign * delta).replace(tzinfo=UTC)


def has_offset(value: str) -> bool:
    match = _DATETIME.match(value)
    return bool(match and match.group(8))


def parse_date(value: str) -> date:
    if not _DATE.match(value):
        raise TimeFormatError(value)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise TimeFormatError(value) from exc


def date_start(day: date, time_zone: str) -> datetime:
    """Midnight at the start of an all-day event's day, in the calendar's zone."""
    return datetime.combine(day, time(), tzinfo=zone(time_zone) or UTC)


def format_utc(moment: datetime, millis: bool = False) -> str:
    utc = moment.astimezone(UTC)
    if millis:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_in_zone(moment: datetime, time_zone: str) -> str:
    """How Google echoes a dateTime: in the event's (or calendar's) zone, with offset."""
    tz = zone(time_zone)
    if tz is None or time_zone in ("UTC", "Etc/UTC"):
        return format_utc(moment)
    return moment.astimezone(tz).isoformat(timespec="seconds")


def now() -> datetime:
    return datetime.now(UTC)
