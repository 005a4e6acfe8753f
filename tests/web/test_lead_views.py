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


def test_zone_labels_name_the_city_and_the_offset_at_that_moment() -> None:
    from leadscalendar.web.lead_views import zone_label

    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 12, tzinfo=UTC)
    assert zone_label("Europe/Berlin", winter) == "Europe/Berlin \u2014 Berlin (GMT+1)"
    assert zone_label("Europe/Berlin", summer) == "Europe/Berlin \u2014 Berlin (GMT+2)"
    assert zone_label("America/St_Johns", winter) == ("America/St_Johns \u2014 St Johns (GMT-3:30)")
    assert zone_label("UTC", winter) == "UTC \u2014 UTC (GMT)"


def test_the_clock_follows_the_toggle_then_the_browsers_language() -> None:
    from leadscalendar.web.lead_views import clock_for

    assert clock_for("12", "de-DE") == "12h"
    assert clock_for("24", "en-US") == "24h"
    assert clock_for(None, "en-US,en;q=0.9") == "12h"
    assert clock_for(None, "en-GB,en;q=0.9") == "24h"
    assert clock_for(None, "en") == "12h"
    assert clock_for(None, "zh-Hant-TW") == "12h"
    assert clock_for(None, "en-CA;q=1") == "12h"
    assert clock_for(None, "fr-CA") == "24h"
    assert clock_for(None, "de") == "24h"
    assert clock_for("13", None) == "24h"
    assert clock_for(None, "") == "24h"


def test_a_hold_ends_at_a_time_with_its_zone_and_date() -> None:
    from leadscalendar.web.lead_views import hold_until_label

    moment_ = datetime(2026, 12, 1, 13, 35, tzinfo=UTC)
    assert hold_until_label(moment_, "Europe/Berlin") == "14:35 CET, Tue 1 Dec 2026"
    assert hold_until_label(moment_, "America/New_York", "12h") == "8:35 AM EST, Tue 1 Dec 2026"
    # tzdata writes no letters for some zones ("+03"): people read GMT+3.
    assert hold_until_label(moment_, "Europe/Istanbul") == "16:35 GMT+3, Tue 1 Dec 2026"
    assert hold_until_label(moment_, "Asia/Kolkata") == "19:05 IST, Tue 1 Dec 2026"
