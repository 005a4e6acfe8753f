"""Working hours from the dashboard over real HTTP, checked through the slots leads are offered."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from leadscalendar.bookings import repository
from tests.support.booking_env import BookingEnv
from tests.support.dashboard import host_by_slug, submit

HOURS = "/dashboard/hours"
PARIS = ZoneInfo("Europe/Paris")


def hours_form(
    timezone: str = "Europe/Paris",
    weekly: dict[int, list[tuple[str, str]]] | None = None,
    overrides: Sequence[tuple[str, bool, list[tuple[str, str]]]] = (),
) -> dict[str, str]:
    """The whole form, as a browser posts it: every weekday, then the exceptions."""
    weekly = weekly if weekly is not None else {day: [("10:00", "11:00")] for day in range(7)}
    form = {"timezone": timezone}
    for day in range(7):
        rows = [*weekly.get(day, []), ("", "")]
        for index, (start, end) in enumerate(rows):
            form[f"day{day}_from_{index}"] = start
            form[f"day{day}_to_{index}"] = end
    for number, (day_text, off, intervals) in enumerate(overrides):
        form[f"ovr_{number}_date"] = day_text
        if off:
            form[f"ovr_{number}_off"] = "on"
        for index, (start, end) in enumerate([*intervals, ("", "")]):
            form[f"ovr_{number}_from_{index}"] = start
            form[f"ovr_{number}_to_{index}"] = end
    return form


def offered(
    env: BookingEnv, first: date, days: int, tz: str = "Europe/Paris"
) -> dict[str, list[str]]:
    response = env.lead.get(
        "/api/v1/public/hosts/coach/types/intro/slots",
        params={"start": first.isoformat(), "days": days, "tz": tz},
    )
    assert response.status_code == 200, response.text
    zone = ZoneInfo(tz)
    return {
        day["date"]: [
            f"{datetime.fromisoformat(slot['start']).astimezone(zone):%H:%M}"
            for slot in day["slots"]
        ]
        for day in response.json()["days"]
    }


def error_of(html: str, key: str) -> str:
    match = re.search(rf'<p class="field-error" id="{key}-error">([^<]*)</p>', html)
    assert match, f"no error for {key}"
    return match.group(1)


def test_the_page_shows_the_current_hours(booking_env: BookingEnv) -> None:
    page = booking_env.host.client.get(HOURS)
    assert page.status_code == 200
    assert 'name="day0_from_0" value="08:00"' in page.text
    assert 'name="day6_to_0" value="20:00"' in page.text
    assert "<option selected>Europe/Paris</option>" in page.text


def test_saved_hours_and_overrides_change_the_offered_slots(booking_env: BookingEnv) -> None:
    today = datetime.now(PARIS).date()
    first = today + timedelta(days=2)
    day_off, short_day = first + timedelta(days=1), first + timedelta(days=2)
    form = hours_form(
        overrides=[
            (day_off.isoformat(), True, []),
            (short_day.isoformat(), False, [("14:00", "15:00")]),
        ]
    )
    saved = submit(booking_env.host.client, HOURS, HOURS, form, follow=True)
    assert saved.status_code == 200 and "Working hours saved" in saved.text
    assert f'value="{day_off.isoformat()}"' in saved.text

    slots = offered(booking_env, first, 3)
    assert slots[first.isoformat()] == ["10:00", "10:30"]
    assert slots.get(day_off.isoformat(), []) == []
    assert slots[short_day.isoformat()] == ["14:00", "14:30"]

    # The zone is the host's: the same wall-clock hours now mean New York time.
    submit(booking_env.host.client, HOURS, HOURS, hours_form(timezone="America/New_York"))
    assert host_by_slug(booking_env.services).timezone == "America/New_York"
    in_new_york = offered(booking_env, first, 1, tz="America/New_York")
    assert in_new_york[first.isoformat()] == ["10:00", "10:30"]


def test_bad_hours_are_refused_with_messages_and_nothing_changes(booking_env: BookingEnv) -> None:
    bad = hours_form(
        timezone="Mars/Olympus_Mons",
        weekly={
            0: [("12:00", "09:00")],
            1: [("09:00", "12:00"), ("11:00", "13:00")],
            2: [("9", "")],
        },
        overrides=[
            ("", False, [("10:00", "11:00")]),
            ("2030-01-01", True, [("10:00", "11:00")]),
            ("2030-01-02", False, []),
        ],
    )
    response = submit(booking_env.host.client, HOURS, HOURS, bad)
    assert response.status_code == 400
    html = response.text
    assert "time zone" in error_of(html, "timezone")
    assert "ends before it starts" in error_of(html, "day0")
    assert "overlap" in error_of(html, "day1")
    assert "both a start and an end" in error_of(html, "day2")
    assert "enter a date" in error_of(html, "ovr_0")
    assert "not both" in error_of(html, "ovr_1")
    assert "mark the day off" in error_of(html, "ovr_2")
    # What the host typed is shown again.
    assert 'name="day0_from_0" value="12:00"' in html

    host = host_by_slug(booking_env.services)
    assert host.timezone == "Europe/Paris"
    with booking_env.services.session_factory() as session:
        schedule = repository.get_schedule(session, host.id)
        assert schedule is not None
        assert schedule.weekly["0"] == [["08:00", "20:00"]]
        assert schedule.overrides == {}


def test_the_hours_form_refuses_a_missing_csrf_token(booking_env: BookingEnv) -> None:
    refused = booking_env.host.client.post(HOURS, data=hours_form())
    assert refused.status_code == 403
    assert host_by_slug(booking_env.services).timezone == "Europe/Paris"


def test_only_canonical_zones_can_be_chosen(booking_env: BookingEnv) -> None:
    client = booking_env.host.client
    page = client.get(HOURS)
    assert ">Europe/Paris</option>" in page.text
    for artefact in ("localtime", "posixrules", "Factory"):
        assert f">{artefact}</option>" not in page.text
        refused = submit(client, HOURS, HOURS, hours_form(timezone=artefact))
        assert refused.status_code == 400, artefact
        assert "choose a time zone from the list" in refused.text
    assert host_by_slug(booking_env.services).timezone == "Europe/Paris"
