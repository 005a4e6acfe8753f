"""The input layer's types: what each one lets through and what it refuses, with why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from leadscalendar.inputs import (
    BookableDate,
    BoundedDatetime,
    IanaTimeZone,
    MultiLineText,
    SingleLineText,
)


class Sample(BaseModel):
    name: SingleLineText = ""
    notes: MultiLineText = ""
    zone: IanaTimeZone = "UTC"
    at: BoundedDatetime | None = None
    day: BookableDate | None = None


def _refused(**fields: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(fields)
    return str(caught.value)


@pytest.mark.parametrize(
    "text", ["a\x00b", "a\nb", "a\rb", "tab\there", "bell\x07", "del\x7f", "c1\x85", "ls\u2028"]
)
def test_single_line_text_refuses_line_breaks_and_control_characters(text: str) -> None:
    assert "one line of text" in _refused(name=text)


@pytest.mark.parametrize("text", ["a\x00b", "esc\x1b[31m", "vt\x0b", "ff\x0c", "lone\ud800"])
def test_multi_line_text_refuses_control_characters_other_than_line_breaks(text: str) -> None:
    assert "control characters" in _refused(notes=text)


def test_ordinary_text_passes_unchanged() -> None:
    sample = Sample(name="Zoë O'Brien \u2013 東京", notes="Line one\r\nLine two\n\tindented")
    assert sample.name == "Zoë O'Brien \u2013 東京"
    assert sample.notes == "Line one\r\nLine two\n\tindented"


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "Mars/Olympus", "UTC\n"])
def test_time_zones_that_are_no_place_are_refused(name: str) -> None:
    assert "time zone" in _refused(zone=name)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("UTC", "UTC"),
        ("US/Eastern", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),
    ],
)
def test_time_zone_links_become_their_canonical_name(given: str, canonical: str) -> None:
    assert Sample(zone=given).zone == canonical


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: astimezone overflows
        "0001-01-02T00:00:00+00:00",
        "9999-12-31T23:00:00-12:00",  # after year 9999 in UTC
        "9999-12-30T00:00:00+00:00",
        "1999-12-31T23:59:59+00:00",
        "2201-01-01T00:00:00+00:00",
    ],
)
def test_moments_outside_the_computable_years_are_refused(moment: str) -> None:
    assert "between the years 2000 and 2200" in _refused(at=moment)


def test_a_moment_needs_an_offset_and_comes_back_in_utc() -> None:
    assert "UTC offset" in _refused(at="2030-01-07T10:00:00")
    at = Sample(at=datetime(2030, 1, 7, 10, tzinfo=timezone(timedelta(hours=2)))).at
    assert at == datetime(2030, 1, 7, 8, tzinfo=UTC) and at.tzinfo is UTC


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2201-01-01"])
def test_days_outside_the_computable_years_are_refused(day: str) -> None:
    assert "between the years 2000 and 2200" in _refused(day=day)


def test_days_inside_the_years_pass() -> None:
    assert Sample(day="2200-12-31").day == date(2200, 12, 31)
