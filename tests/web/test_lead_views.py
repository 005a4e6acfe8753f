"""How the lead's pages word prices, durations and times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

from leadscalendar.web.lead_views import (
    day_label,
    duration_label,
    google_calendar_url,
    moment,
    resolve_zone,
    slot_label,
)


def test_durations() -> None:
    assert duration_label(30) == "30 minutes"
    assert duration_label(60) == "1 hour"
    assert duration_label(90) == "1 hour 30 minutes"
    assert duration_label(120) == "2 hours"
    assert duration_label(1) == "1 minute"


def test_zone_fallback() -> None:
    assert resolve_zone("America/New_York", "Europe/Paris") == "America/New_York"
    assert resolve_zone("Mars/Olympus", "Europe/Paris") == "Europe/Paris"
    assert resolve_zone(None, "UTC") == "UTC"


def test_times_in_the_leads_zone() -> None:
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    end = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    when = moment(start, end, "America/Los_Angeles")
    assert when.day == "Tuesday 1 December 2026"
    assert when.time == "00:00\u201301:00"
    assert when.text == "Tuesday 1 December 2026 at 00:00\u201301:00 (America/Los_Angeles)"
    assert slot_label(start, "Asia/Tokyo") == "Tuesday 1 December 2026, 17:00"
    assert day_label(date(2027, 1, 3)) == "Sunday 3 January 2027"


def test_google_calendar_link() -> None:
    url = google_calendar_url(
        title="Coaching session with Coach",
        start=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        end=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        details="Line 1\nLine & 2",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://calendar.google.com/calendar/render"
    )
    query = parse_qs(parts.query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Coaching session with Coach"]
    assert query["dates"] == ["20261201T080000Z/20261201T090000Z"]
    assert query["details"] == ["Line 1\nLine & 2"]
