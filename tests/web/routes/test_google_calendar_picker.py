"""Choosing the calendar bookings go to, and what that does to jobs waiting on the old one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadscalendar.bookings.google_outcomes import CALENDAR_NOT_FOUND_TRIES
from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.config import Settings
from leadscalendar.jobs import JobStatus
from tests.support.app_env import csrf_from
from tests.support.bookings_env import BookingsEnv, engine_settings, google_error
from tests.support.dashboard import submit, type_form
from tests.support.google_sandbox import GoogleSandbox

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def app_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    return engine_settings(
        google_sandbox, database_url=database_url, data_dir=tmp_path, app_port=app_port
    )


def calendars_by_role(env: BookingsEnv) -> dict[str, str]:
    """access role -> a calendar id of the host's sandbox account, primary excluded."""
    listed = env.sandbox.control("GET", "calendars")["calendars"]
    return {
        calendar["access_role"]: calendar["id"]
        for calendar in listed
        if calendar["id"] != env.calendar_id
    }


def choose(env: BookingsEnv, calendar_id: str) -> str:
    picker = env.app.client.get("/dashboard/google/calendar")
    assert picker.status_code == 200, picker.text
    response = env.app.client.post(
        "/dashboard/google/calendar",
        data={"csrf_token": csrf_from(picker.text), "calendar_id": calendar_id},
    )
    assert response.status_code == 200, response.text
    return response.text


def test_the_picker_offers_only_calendars_bookings_can_be_written_to(
    bookings_env: BookingsEnv,
) -> None:
    roles = calendars_by_role(bookings_env)
    page = bookings_env.app.client.get("/dashboard/google/calendar")
    assert page.status_code == 200
    assert f'value="{bookings_env.calendar_id}"' in page.text
    assert f'value="{roles["owner"]}"' in page.text
    # Not offered as the calendar for bookings (it may still be ticked as busy, below).
    assert f'name="calendar_id" value="{roles["reader"]}"' not in page.text
    assert f'name="calendar_id" value="{roles["owner"]}"' in page.text


def test_choosing_a_calendar_that_cannot_be_written_to_is_refused(
    bookings_env: BookingsEnv,
) -> None:
    roles = calendars_by_role(bookings_env)
    page = choose(bookings_env, roles["reader"])
    assert "Pick one of your calendars that LeadsCalendar may write to." in page
    assert bookings_env.connection().calendar_id == "primary"


def test_choosing_a_calendar_needs_the_csrf_token(bookings_env: BookingsEnv) -> None:
    roles = calendars_by_role(bookings_env)
    response = bookings_env.app.client.post(
        "/dashboard/google/calendar", data={"calendar_id": roles["owner"]}
    )
    assert response.status_code == 403
    assert bookings_env.connection().calendar_id == "primary"


def test_after_the_calendar_is_deleted_picking_another_completes_the_parked_bookings(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    env.sandbox.control("DELETE", f"calendars/{env.calendar_id}")
    booking_ids = env.book(2)
    with env.worker(concurrency=2):
        env.wait_for_jobs(lambda jobs: all(job.status is JobStatus.PARKED for job in jobs))
        assert {job.park_code for job in env.jobs(CREATE_EVENT)} == {ParkCode.CALENDAR_GONE}

        other = calendars_by_role(env)["owner"]
        page = choose(env, other)
        assert "New bookings go to the calendar" in page
        assert env.connection().calendar_id == other
        env.wait_drained()
    assert {job.status for job in env.jobs(CREATE_EVENT)} == {JobStatus.SUCCEEDED}
    for booking_id in booking_ids:
        [event] = env.events_of_calendar(other, booking_id)
        booking = env.booking(booking_id)
        assert booking.status is BookingStatus.SCHEDULED
        assert booking.google_calendar_id == other
        assert booking.google_event_id == event["id"]
        assert booking.status_reason is None


def test_a_permission_park_resumes_when_the_host_picks_a_writable_calendar(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    env.sandbox.control("POST", f"calendars/{env.calendar_id}/read-only")
    [booking_id] = env.book()
    env.drain()
    [job] = env.jobs(CREATE_EVENT)
    assert job.park_code == ParkCode.PERMISSION
    other = calendars_by_role(env)["owner"]
    choose(env, other)
    env.drain()
    assert len(env.events_of_calendar(other, booking_id)) == 1
    assert env.booking(booking_id).status is BookingStatus.SCHEDULED


def test_a_booking_parked_for_a_missing_calendar_resumes_when_the_host_reconnects(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    not_found = google_error(404, "notFound", "Not Found")
    env.script("events.insert", *[not_found] * CALENDAR_NOT_FOUND_TRIES)
    [booking_id] = env.book()
    env.drain()
    [job] = env.jobs(CREATE_EVENT)
    assert job.park_code == ParkCode.CALENDAR_GONE
    page = env.app.connect()
    assert page.status_code == 200, page.text
    env.drain()
    assert env.jobs(CREATE_EVENT)[0].status is JobStatus.SUCCEEDED, env.describe_jobs()
    assert env.booking(booking_id).status is BookingStatus.SCHEDULED


def test_a_booking_parked_for_its_types_calendar_resumes_when_the_type_gets_another(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    doomed = calendars_by_role(env)["owner"]
    env.update_type(calendar_id=doomed)
    env.sandbox.control("DELETE", f"calendars/{doomed}")
    [booking_id] = env.book()
    env.drain()
    [job] = env.jobs(CREATE_EVENT)
    assert job.park_code == ParkCode.CALENDAR_GONE
    form = type_form(
        title="Intro call",
        slug="intro",
        duration_minutes="30",
        price="0.00",
        requires_approval="<absent>",
        daily_limit="",
        calendar_id=env.calendar_id,
    )
    url = f"/dashboard/types/{env.booking_type_id}"
    saved = submit(env.app.client, url, url, form)
    assert saved.status_code == 303, saved.text
    env.drain()
    assert env.jobs(CREATE_EVENT)[0].status is JobStatus.SUCCEEDED, env.describe_jobs()
    assert len(env.events_of_calendar(env.calendar_id, booking_id)) == 1
    assert env.booking(booking_id).google_calendar_id == env.calendar_id


def test_calendars_ticked_as_busy_are_checked_for_busy_times_even_read_only_ones(
    bookings_env: BookingsEnv,
) -> None:
    roles = calendars_by_role(bookings_env)
    picker = bookings_env.app.client.get("/dashboard/google/calendar")
    # Read-only calendars cannot receive bookings but can make the host busy.
    assert f'name="busy" value="{roles["reader"]}"' in picker.text
    response = bookings_env.app.client.post(
        "/dashboard/google/calendar",
        data={
            "csrf_token": csrf_from(picker.text),
            "calendar_id": bookings_env.calendar_id,
            "busy": [roles["reader"], "not-a-calendar-of-yours"],
        },
    )
    assert response.status_code == 200, response.text
    assert bookings_env.connection().busy_calendar_ids == [roles["reader"]]
    with bookings_env.services.session_factory() as session:
        checked = bookings_env.services.busy.calendars_to_check(session, bookings_env.host_id, [])
    assert roles["reader"] in checked
    assert "not-a-calendar-of-yours" not in checked
    again = bookings_env.app.client.get("/dashboard/google/calendar").text
    assert re.search(rf'value="{re.escape(roles["reader"])}"\s+checked', again)
