"""The .ics writer: RFC 5545 line endings, folding, escaping and UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadscalendar.notifications.ics import (
    IcsEvent,
    escape_text,
    event_uid,
    fold,
    render_ics,
    utc_stamp,
)

PARIS = ZoneInfo("Europe/Paris")


def _event(**overrides: object) -> IcsEvent:
    values: dict[str, object] = {
        "uid": event_uid("abc0123456789defghijklmnop"),
        "start": datetime(2026, 12, 1, 9, 0, tzinfo=PARIS),
        "end": datetime(2026, 12, 1, 10, 0, tzinfo=PARIS),
        "stamp": datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC),
        "summary": "Coaching session with Coach",
    }
    values.update(overrides)
    return IcsEvent(**values)  # type: ignore[arg-type]


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_a_minimal_event() -> None:
    text = render_ics(_event())
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = _unfold(text)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"]
    assert lines[-2:] == ["END:VCALENDAR", ""]
    assert "UID:abc0123456789defghijklmnop@leadscalendar" in lines
    # 09:00 in Paris in December is 08:00 UTC.
    assert "DTSTART:20261201T080000Z" in lines
    assert "DTEND:20261201T090000Z" in lines
    assert "DTSTAMP:20261125T120030Z" in lines
    assert lines.index("BEGIN:VEVENT") < lines.index("UID:abc0123456789defghijklmnop@leadscalendar")


def test_text_values_are_escaped() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf\rg") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"
    lines = _unfold(render_ics(_event(summary="Call; with, Coach", description="1\n2")))
    assert "SUMMARY:Call\\; with\\, Coach" in lines
    assert "DESCRIPTION:1\\n2" in lines


def test_urls_are_not_escaped() -> None:
    url = "https://example.com/bookings/1?token=a,b"
    assert f"URL:{url}" in _unfold(render_ics(_event(url=url)))


def test_long_lines_fold_at_75_octets_without_splitting_characters() -> None:
    summary = "é" * 100 + "x" * 100
    text = render_ics(_event(summary=summary))
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    assert f"SUMMARY:{summary}" in _unfold(text)


@given(st.text(min_size=0, max_size=400))
def test_folding_round_trips_and_respects_the_limit(value: str) -> None:
    line = "DESCRIPTION:" + escape_text(value)
    folded = fold(line)
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_naive_and_backwards_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_stamp(datetime(2026, 12, 1, 9, 0))  # noqa: DTZ001
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="end after"):
        render_ics(_event(start=start, end=start - timedelta(minutes=1)))
