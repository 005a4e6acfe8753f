"""Small builders shared by the availability tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadscalendar.availability import BookingRules, WorkingHours, WorkingInterval

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours) % 24, int(minutes))


def span(text: str) -> WorkingInterval:
    """``"09:00-17:00"`` as a working interval (``24:00`` allowed as the end)."""
    start, end = text.split("-")
    return WorkingInterval(hhmm(start), hhmm(end))


def every_day(zone: str, *spans: str) -> WorkingHours:
    return WorkingHours(zone, {day: [span(text) for text in spans] for day in range(7)})


def rules(
    minutes: int = 30,
    step: int = 30,
    *,
    before: int = 0,
    after: int = 0,
    notice: timedelta = timedelta(0),
    days_ahead: int | None = None,
    daily_limit: int | None = None,
) -> BookingRules:
    """Rules in minutes, the unit hosts think in."""
    return BookingRules(
        duration=timedelta(minutes=minutes),
        step=timedelta(minutes=step),
        buffer_before=timedelta(minutes=before),
        buffer_after=timedelta(minutes=after),
        minimum_notice=notice,
        max_days_ahead=days_ahead,
        daily_limit=daily_limit,
    )


def local(zone: str, text: str, fold: int = 0) -> datetime:
    """``"2026-03-29 09:00"`` in ``zone``."""
    naive = datetime.strptime(text, "%Y-%m-%d %H:%M")  # noqa: DTZ007 - zone added next
    return naive.replace(tzinfo=ZoneInfo(zone), fold=fold)


def utc(text: str) -> datetime:
    return local("UTC", text).astimezone(UTC)


def day_window(zone: str, day: date) -> tuple[datetime, datetime]:
    """The instants of one local date in ``zone``, as a [start, end) window."""
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(zone))
    return start.astimezone(UTC), end.astimezone(UTC)
