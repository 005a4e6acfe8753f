"""The month view of the lead's booking and reschedule pages: a grid of days, then one day's times.

Server-rendered links (``?month=2026-12&day=2026-12-03&tz=...&clock=24``), so it
works without JavaScript and by keyboard alone. A month is at most 31 days,
which ``booking_flow.list_slots`` answers with one free/busy read, so a page
costs one slot computation however many days it shows.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from leadscalendar import i18n
from leadscalendar.availability.display import Clock
from leadscalendar.availability.zones import load_zone
from leadscalendar.bookings.errors import NotTakingBookingsError
from leadscalendar.bookings.models import BookingType
from leadscalendar.bookings.schemas import SlotsOut
from leadscalendar.db.base import utcnow
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.inputs import bookable_day
from leadscalendar.services import Services
from leadscalendar.web import booking_flow, lead_views

MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
BAD_MONTH = "That month is not valid. Please pick a month from the calendar."


def parse_month(raw: str | None) -> date | None:
    """``2026-12`` as the first of that month; a 400 page for anything else."""
    if raw is None:
        return None
    match = MONTH_PATTERN.fullmatch(raw)
    try:
        if match is None:
            raise ValueError(raw)
        return bookable_day(date(int(match[1]), int(match[2]), 1))
    except ValueError:
        raise LeadsCalendarError(BAD_MONTH) from None


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


@dataclass(frozen=True, slots=True)
class Window:
    """Which month is shown and which of its days are asked for (none before today)."""

    month: date
    first_day: date
    days: int


def window(month: date | None, day: date | None, today: date) -> Window:
    """The month to show: the asked one, else the picked day's, else today's; never a past one."""
    shown = (month or day or today).replace(day=1)
    shown = max(shown, today.replace(day=1))
    first_day = max(shown, today)
    return Window(month=shown, first_day=first_day, days=(next_month(shown) - first_day).days)


@dataclass(frozen=True, slots=True)
class DayCell:
    """One date of the grid; ``url`` is ``None`` for a date with no free time."""

    day: date
    label: str
    free: int
    url: str | None
    selected: bool


@dataclass(slots=True)
class MonthView:
    """What the templates render: the grid, the picked day and its slots, the pager links."""

    title: str
    month_key: str
    weeks: list[list[DayCell | None]]
    selected: date | None
    selected_label: str
    slots: list[dict[str, Any]] = field(default_factory=list)
    earlier_url: str | None = None
    later_url: str | None = None
    weekdays: tuple[str, ...] = WEEKDAYS
    weekday_abbreviations: tuple[str, ...] = tuple(name[:3] for name in WEEKDAYS)


def page_url(base: str, params: dict[str, str], **changes: str) -> str:
    """``base`` with ``params`` updated by ``changes``; zone names keep their readable slash."""
    merged = {**params, **changes}
    query = urlencode({key: value for key, value in merged.items() if value}, safe="/")
    return f"{base}?{query}" if query else base


def clock_urls(base: str, query: dict[str, str], time_zone: str) -> dict[str, str]:
    """The clock toggle's two links: this page with ``clock`` set to 12 or 24."""
    params = {key: value for key, value in query.items() if key != "start"}
    params["tz"] = time_zone
    return {value: page_url(base, params, clock=value) + "#clock" for value in ("12", "24")}


def build(
    shown: Window,
    slots: SlotsOut,
    *,
    requested_day: date | None,
    today: date,
    last_month: date | None,
    base: str,
    params: dict[str, str],
) -> MonthView:
    """The month grid over ``slots``; the picked day is ``requested_day`` if it has free
    times, else the month's first day that has (a lead lands on times, not on a hunt)."""
    by_day = {date.fromisoformat(day.date): day.slots for day in slots.days if day.slots}
    selected = requested_day if requested_day in by_day else min(by_day, default=None)
    month_key = f"{shown.month:%Y-%m}"
    cells: list[DayCell | None] = [None] * shown.month.weekday()
    current = shown.month
    while current < next_month(shown.month):
        free = len(by_day.get(current, ()))
        label = lead_views.day_label(current)
        url = None
        if free:
            url = page_url(base, params, month=month_key, day=current.isoformat()) + "#times"
        cells.append(DayCell(current, label, free, url, current == selected))
        current += timedelta(days=1)
    cells += [None] * (-len(cells) % 7)
    view = MonthView(
        title=i18n.format_month(shown.month),
        weekdays=tuple(name for name, _ in i18n.weekday_names()),
        weekday_abbreviations=tuple(short for _, short in i18n.weekday_names()),
        month_key=month_key,
        weeks=[cells[i : i + 7] for i in range(0, len(cells), 7)],
        selected=selected,
        selected_label=lead_views.day_label(selected) if selected else "",
    )
    if selected is not None:
        view.slots = [
            {"start": slot.start.isoformat(), "label": slot.label} for slot in by_day[selected]
        ]
    if shown.month > today.replace(day=1):
        earlier = (shown.month - timedelta(days=1)).replace(day=1)
        view.earlier_url = page_url(base, params, month=f"{earlier:%Y-%m}", day="")
    following = next_month(shown.month)
    if last_month is None or following <= last_month:
        view.later_url = page_url(base, params, month=f"{following:%Y-%m}", day="")
    return view


@dataclass(frozen=True, slots=True)
class MonthQuery:
    """What the lead asked to see, from the page's query string."""

    time_zone: str
    clock: Clock
    month: date | None = None
    day: date | None = None


def load(
    services: Services,
    *,
    host_slug: str,
    booking_type: BookingType,
    asked: MonthQuery,
    base: str,
    extra: dict[str, str] | None = None,
    exclude: uuid.UUID | None = None,
) -> MonthView | NotTakingBookingsError:
    """The month's free times, asked of the flow once (one free/busy read, no call per day).

    Returns the refusal instead of raising it, so the page can still show the type.
    """
    today = utcnow().astimezone(load_zone(asked.time_zone)).date()
    shown = window(asked.month, asked.day, today)
    # The last month with a bookable day; the lead's today may be the host's tomorrow.
    last_day = today + timedelta(days=booking_type.max_days_ahead + 1)
    params = {
        **(extra or {}),
        "tz": asked.time_zone,
        "clock": lead_views.clock_param(asked.clock),
        "month": f"{shown.month:%Y-%m}",
    }
    try:
        slots = booking_flow.list_slots(
            services,
            host_slug=host_slug,
            type_slug=booking_type.slug,
            first_day=shown.first_day,
            days=shown.days,
            time_zone=asked.time_zone,
            clock=asked.clock,
            exclude=exclude,
        )
    except NotTakingBookingsError as exc:
        return exc
    return build(
        shown,
        slots,
        requested_day=asked.day,
        today=today,
        last_month=last_day.replace(day=1),
        base=base,
        params=params,
    )
