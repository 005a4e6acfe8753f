"""The working-hours form: weekly intervals and date overrides <-> ``ScheduleIn``.

Without JavaScript a form cannot grow rows, so every day shows its intervals
plus a blank one, and the overrides list shows two blank dates: a blank row
means nothing, and blanking a row's date removes that override. The parser
reads whatever rows were posted, so the count of rows is the template's choice.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, time

from pydantic import ValidationError

from leadscalendar.bookings.booking_types import ScheduleIn
from leadscalendar.bookings.models import Schedule
from leadscalendar.bookings.slots import DEFAULT_WEEKLY
from leadscalendar.web.dashboard.forms import FORM_ERROR, FieldErrors, FormInvalidError, FormValues

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
BLANK_OVERRIDES = 2
MIN_ROWS = 2

_DAY_KEY = re.compile(r"^day(\d)_from_(\d+)$")
_OVERRIDE_KEY = re.compile(r"^ovr_(\d+)_date$")
_OVERRIDE_INTERVAL_KEY = re.compile(r"^ovr_(\d+)_from_(\d+)$")

Interval = tuple[str, str]


@dataclass
class OverrideRow:
    date: str = ""
    off: bool = False
    intervals: list[Interval] = field(default_factory=list)


@dataclass
class HoursForm:
    """The form's rows as strings, exactly as shown (or as posted, when re-shown)."""

    timezone: str
    weekly: list[list[Interval]]
    overrides: list[OverrideRow]

    def padded(self) -> HoursForm:
        """The same rows plus blank ones to type into."""
        weekly = [[*rows, *[("", "")] * max(1, MIN_ROWS - len(rows))] for rows in self.weekly]
        overrides = [
            OverrideRow(
                row.date, row.off, [*row.intervals, *[("", "")] * max(1, 2 - len(row.intervals))]
            )
            for row in self.overrides
        ]
        overrides += [OverrideRow(intervals=[("", "")] * MIN_ROWS) for _ in range(BLANK_OVERRIDES)]
        return HoursForm(self.timezone, weekly, overrides)


def from_schedule(schedule: Schedule | None, timezone: str) -> HoursForm:
    # No schedule yet: show the hours slots are offered in today, not an empty week.
    weekly_json = schedule.weekly if schedule else DEFAULT_WEEKLY
    weekly = [[(a, b) for a, b in weekly_json.get(str(day), [])] for day in range(7)]
    overrides = [
        OverrideRow(day, not intervals, [(a, b) for a, b in intervals])
        for day, intervals in sorted((schedule.overrides if schedule else {}).items())
    ]
    return HoursForm(timezone, weekly, overrides)


def _indices(values: FormValues, pattern: re.Pattern[str], group: str) -> list[int]:
    found = set()
    for key in values:
        match = pattern.match(key)
        if match and match.group(1) == group:
            found.add(int(match.group(2)))
    return sorted(found)


def from_values(values: FormValues) -> HoursForm:
    """The posted rows, blank ones dropped, kept as text for re-showing."""

    def intervals(prefix: str, pattern: re.Pattern[str], group: str) -> list[Interval]:
        rows = []
        for index in _indices(values, pattern, group):
            start = values.get(f"{prefix}_from_{index}", "").strip()
            end = values.get(f"{prefix}_to_{index}", "").strip()
            if start or end:
                rows.append((start, end))
        return rows

    weekly = [intervals(f"day{day}", _DAY_KEY, str(day)) for day in range(7)]
    overrides = []
    for key in sorted(values, key=lambda k: (len(k), k)):
        match = _OVERRIDE_KEY.match(key)
        if not match:
            continue
        number = match.group(1)
        row = OverrideRow(
            values[key].strip(),
            values.get(f"ovr_{number}_off") == "on",
            intervals(f"ovr_{number}", _OVERRIDE_INTERVAL_KEY, number),
        )
        if row.date or row.off or row.intervals:
            overrides.append(row)
    return HoursForm(values.get("timezone", "").strip(), weekly, overrides)


def _parse_time(text: str) -> time:
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a time like 09:30") from None
    return parsed.replace(second=0, microsecond=0)


def _check_intervals(rows: list[Interval]) -> list[tuple[time, time]]:
    """Parsed intervals in order; raises ``ValueError`` naming the first problem."""
    parsed = []
    for start_text, end_text in rows:
        if not start_text or not end_text:
            raise ValueError("give each interval both a start and an end")
        start, end = _parse_time(start_text), _parse_time(end_text)
        # 00:00 as an end means midnight, the end of the day.
        if end != time(0) and end <= start:
            raise ValueError(f"{start_text} to {end_text} ends before it starts")
        parsed.append((start, end))
    parsed.sort()
    for (_, previous_end), (start, _) in itertools.pairwise(parsed):
        if previous_end == time(0) or start < previous_end:
            raise ValueError("intervals of the same day overlap")
    return parsed


def parse(form: HoursForm, known_zones: frozenset[str]) -> ScheduleIn:
    """``ScheduleIn`` from the rows, or ``FormInvalidError`` keyed by day / override / zone."""
    errors: FieldErrors = {}
    if form.timezone not in known_zones:
        errors["timezone"] = "choose a time zone from the list"
    weekly: dict[int, list[tuple[time, time]]] = {}
    for day, rows in enumerate(form.weekly):
        try:
            weekly[day] = _check_intervals(rows)
        except ValueError as error:
            errors[f"day{day}"] = str(error)
    overrides: dict[date, list[tuple[time, time]]] = {}
    for number, row in enumerate(form.overrides):
        key = f"ovr_{number}"
        try:
            override_day = date.fromisoformat(row.date)
        except ValueError:
            errors[key] = "enter a date" if not row.date else f"“{row.date}” is not a date"
            continue
        if override_day in overrides:
            errors[key] = f"{row.date} is listed twice"
        elif row.off and row.intervals:
            errors[key] = "either mark a day off or give hours, not both"
        elif not row.off and not row.intervals:
            errors[key] = "give hours or mark the day off"
        else:
            try:
                overrides[override_day] = _check_intervals(row.intervals)
            except ValueError as error:
                errors[key] = str(error)
    if errors:
        raise FormInvalidError(errors)
    try:
        return ScheduleIn(weekly=weekly, overrides=overrides)
    except ValidationError as error:
        raise FormInvalidError({FORM_ERROR: str(error.errors()[0].get("msg", "invalid"))}) from None
