"""The month grid: which month is shown, which days are links, which day is picked."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadscalendar.bookings.schemas import DayOut, SlotOut, SlotsOut
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.web.month_view import Window, build, page_url, parse_month, window

TODAY = date(2026, 11, 18)


def slots_on(*days: date) -> SlotsOut:
    def slot(day: date) -> SlotOut:
        start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        return SlotOut(start=start, end=start.replace(hour=10), label="09:00\u201310:00")

    return SlotsOut(
        time_zone="UTC", days=[DayOut(date=day.isoformat(), slots=[slot(day)]) for day in days]
    )


def test_the_window_is_never_in_the_past_and_at_most_a_month() -> None:
    assert window(None, None, TODAY) == Window(date(2026, 11, 1), TODAY, 13)
    assert window(date(2026, 12, 1), None, TODAY) == Window(
        date(2026, 12, 1), date(2026, 12, 1), 31
    )
    assert window(None, date(2027, 2, 14), TODAY) == Window(date(2027, 2, 1), date(2027, 2, 1), 28)
    assert window(date(2020, 1, 1), None, TODAY).month == date(2026, 11, 1)


@pytest.mark.parametrize("raw", ["2026-13", "2026-00", "26-01", "2026-1", "x", "9999-01"])
def test_months_that_are_not_months_are_refused(raw: str) -> None:
    with pytest.raises(LeadsCalendarError) as refused:
        parse_month(raw)
    assert refused.value.status_code == 400


def test_only_days_with_free_times_are_links_and_the_first_is_picked() -> None:
    shown = window(date(2026, 12, 1), None, TODAY)
    view = build(
        shown,
        slots_on(date(2026, 12, 3), date(2026, 12, 10)),
        requested_day=None,
        today=TODAY,
        last_month=date(2027, 1, 1),
        base="/coach/intro",
        params={"tz": "Europe/Paris", "clock": "24"},
    )
    cells = [cell for week in view.weeks for cell in week]
    # December 2026 starts on a Tuesday: one blank Monday, then 31 days, padded to whole weeks.
    assert cells[0] is None and len(cells) % 7 == 0
    links = {cell.day: cell.url for cell in cells if cell is not None and cell.url}
    assert list(links) == [date(2026, 12, 3), date(2026, 12, 10)]
    assert links[date(2026, 12, 3)] == (
        "/coach/intro?tz=Europe/Paris&clock=24&month=2026-12&day=2026-12-03#times"
    )
    assert view.selected == date(2026, 12, 3) and len(view.slots) == 1
    assert view.earlier_url == "/coach/intro?tz=Europe/Paris&clock=24&month=2026-11"
    assert view.later_url == "/coach/intro?tz=Europe/Paris&clock=24&month=2027-01"


def test_the_asked_day_is_picked_when_it_has_times_and_no_month_past_the_limit() -> None:
    shown = window(None, None, TODAY)
    view = build(
        shown,
        slots_on(date(2026, 11, 20), date(2026, 11, 25)),
        requested_day=date(2026, 11, 25),
        today=TODAY,
        last_month=date(2026, 11, 1),
        base="/b",
        params={},
    )
    assert view.selected == date(2026, 11, 25)
    assert view.earlier_url is None and view.later_url is None
    empty = build(
        shown, slots_on(), requested_day=None, today=TODAY, last_month=None, base="/b", params={}
    )
    assert empty.selected is None and empty.slots == [] and empty.later_url is not None


def test_page_urls_drop_empty_values_and_keep_zone_slashes() -> None:
    assert page_url("/b", {"tz": "America/New_York", "day": "x"}, day="") == (
        "/b?tz=America/New_York"
    )
    assert page_url("/b", {}) == "/b"
