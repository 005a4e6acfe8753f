"""The dashboard's form parsing, without a server: hours, local times (money: payments)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from leadscalendar.web.dashboard import hours_form, type_form
from leadscalendar.web.dashboard.display import datetime_local_value, parse_datetime_local
from leadscalendar.web.dashboard.forms import FormInvalidError
from leadscalendar.web.routes.dashboard_hours import known_zones


def test_a_new_type_form_starts_from_the_models_defaults() -> None:
    values = type_form.initial_values(None)
    values.update(title="Intro", slug="intro")
    data = type_form.parse(values)
    assert data.price_minor == 0 and data.reminders is None and data.active
    assert data.min_notice_minutes == 120 and data.hold_minutes == 30


def week(**days: list[tuple[str, str]]) -> hours_form.HoursForm:
    weekly = [days.get(f"d{day}", []) for day in range(7)]
    return hours_form.HoursForm("Europe/Paris", weekly, [])


def test_midnight_ends_the_day_and_intervals_are_sorted() -> None:
    parsed = hours_form.parse(week(d0=[("18:00", "00:00"), ("09:00", "12:00")]), known_zones())
    assert parsed.weekly[0] == [(time(9), time(12)), (time(18), time(0))]


def test_an_interval_after_one_ending_at_midnight_overlaps() -> None:
    with pytest.raises(FormInvalidError) as raised:
        hours_form.parse(week(d3=[("20:00", "00:00"), ("22:00", "23:00")]), known_zones())
    assert "overlap" in raised.value.errors["day3"]


def test_posted_rows_are_read_whatever_their_count() -> None:
    posted = {
        "timezone": "UTC",
        "day0_from_0": "09:00",
        "day0_to_0": "10:00",
        "day0_from_7": "11:00",
        "day0_to_7": "12:00",
        "day0_from_8": "",
        "day0_to_8": "",
        "ovr_12_date": "2030-05-01",
        "ovr_12_off": "on",
        "ovr_13_date": "",
    }
    form = hours_form.from_values(posted)
    assert form.weekly[0] == [("09:00", "10:00"), ("11:00", "12:00")]
    assert [(row.date, row.off) for row in form.overrides] == [("2030-05-01", True)]
    padded = form.padded()
    assert padded.weekly[1] == [("", ""), ("", "")]
    assert len(padded.overrides) == 1 + hours_form.BLANK_OVERRIDES


def test_datetime_local_is_read_in_the_hosts_zone() -> None:
    moment = parse_datetime_local("2026-07-01T14:00", "Europe/Paris")
    assert moment.astimezone(UTC) == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert datetime_local_value(moment, "Europe/Paris") == "2026-07-01T14:00"
    # The repeated hour when clocks go back means its first occurrence.
    ambiguous = parse_datetime_local("2026-10-25T02:30", "Europe/Paris")
    assert ambiguous.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="date and time"):
        parse_datetime_local("tomorrow", "Europe/Paris")
    with pytest.raises(ValueError, match="without a zone"):
        parse_datetime_local("2026-07-01T14:00+02:00", "Europe/Paris")
