"""The create-event job against the Google sandbox, with the real client and the real worker."""

from __future__ import annotations

import traceback
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from leadscalendar.bookings.job_kinds import CREATE_EVENT, UPDATE_EVENT
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.schemas import Guest
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.events import build_event_body, event_id_for, replacement_event_id
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.jobs import AttemptOutcome, JobStatus
from tests.support.bookings_env import HOST_TIME_ZONE, BookingsEnv, google_error


def only_job(env: BookingsEnv, booking_id: uuid.UUID) -> Any:
    jobs = env.jobs(CREATE_EVENT, subject=booking_id)
    assert len(jobs) == 1
    return jobs[0]


def assert_scheduled_once(env: BookingsEnv, booking_id: uuid.UUID) -> dict[str, Any]:
    events = env.events_of(booking_id)
    assert len(events) == 1, events
    event = events[0]
    assert event["id"] == event_id_for(booking_id)
    assert event["status"] == "confirmed"
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.SCHEDULED
    assert booking.google_event_id == event["id"]
    assert booking.google_event_link == event["htmlLink"]
    assert booking.status_reason is None
    assert only_job(env, booking_id).status is JobStatus.SUCCEEDED
    return event


def test_a_paid_booking_becomes_an_event_on_the_hosts_calendar(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    env.update_type(price_minor=5000, google_meet=True)
    guests = (Guest(email="partner@example.com", name="Pat Partner"),)
    [booking_id] = env.book(paid=True, guests=guests, lead_name="Lea Lead")
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.PAID
    assert only_job(env, booking_id).status is JobStatus.QUEUED

    env.drain()

    event = assert_scheduled_once(env, booking_id)
    booking = env.booking(booking_id)
    assert event["summary"] == "Intro call with Lea Lead"
    for edge, moment in (("start", booking.start_at), ("end", booking.end_at)):
        assert event[edge]["timeZone"] == HOST_TIME_ZONE
        sent = datetime.fromisoformat(event[edge]["dateTime"])
        assert sent == moment
        assert sent.utcoffset() == timedelta(hours=1)  # Berlin in winter, not UTC
    assert booking.end_at - booking.start_at == timedelta(minutes=30)
    attendees = {a["email"]: a.get("displayName") for a in event["attendees"]}
    assert attendees == {booking.lead_email: "Lea Lead", "partner@example.com": "Pat Partner"}
    assert event["extendedProperties"]["private"]["leadscalendarBookingId"] == str(booking_id)
    assert booking.meet_link and booking.meet_link.startswith("https://meet.google.com/")
    assert event["hangoutLink"] == booking.meet_link
    assert [call["action"] for call in event["_sandbox"]["calls"]] == ["insert"]


def test_a_free_booking_without_meet_has_no_meet_link(bookings_env: BookingsEnv) -> None:
    [booking_id] = bookings_env.book()
    bookings_env.drain()
    event = assert_scheduled_once(bookings_env, booking_id)
    assert "hangoutLink" not in event
    assert bookings_env.booking(booking_id).meet_link is None


def test_a_401_refreshes_the_token_and_succeeds_in_the_same_attempt(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    version = env.connection().token_version
    [booking_id] = env.book()
    env.script("events.insert", google_error(401, "authError", "Invalid Credentials"))
    env.drain()
    assert_scheduled_once(env, booking_id)
    assert env.connection().token_version == version + 1
    [attempt] = env.attempts(only_job(env, booking_id).id)
    assert attempt.outcome is AttemptOutcome.SUCCEEDED


def test_a_token_about_to_expire_is_refreshed_before_the_insert(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    connection = env.connection()
    with unit_of_work(env.services.session_factory) as session:
        row = session.get_one(GoogleConnection, connection.id)
        row.access_token_expires_at = utcnow() + timedelta(seconds=5)  # inside the margin
    [booking_id] = env.book()
    env.drain()
    assert_scheduled_once(env, booking_id)
    refreshed = env.connection()
    assert refreshed.token_version == connection.token_version + 1
    assert refreshed.access_token_expires_at is not None
    assert refreshed.access_token_expires_at > utcnow() + timedelta(minutes=30)
    [attempt] = env.attempts(only_job(env, booking_id).id)
    assert attempt.outcome is AttemptOutcome.SUCCEEDED


RETRYABLE = [
    pytest.param(google_error(403, "rateLimitExceeded", domain="usageLimits"), id="403-rate"),
    pytest.param(google_error(403, "userRateLimitExceeded", domain="usageLimits"), id="403-user"),
    pytest.param(google_error(429, "rateLimitExceeded", domain="usageLimits"), id="429"),
    pytest.param(google_error(500, "backendError"), id="500"),
    pytest.param(google_error(503, "backendError"), id="503"),
]


@pytest.mark.parametrize("failure", RETRYABLE)
def test_transient_failures_are_retried_with_backoff_then_succeed(
    bookings_env: BookingsEnv, failure: dict[str, Any]
) -> None:
    env = bookings_env
    [booking_id] = env.book()
    env.script("events.insert", failure, failure)
    env.drain()
    assert_scheduled_once(env, booking_id)
    attempts = env.attempts(only_job(env, booking_id).id)
    assert [a.outcome for a in attempts] == [
        AttemptOutcome.RETRY,
        AttemptOutcome.RETRY,
        AttemptOutcome.SUCCEEDED,
    ]
    assert [a.http_status for a in attempts[:2]] == [failure["status"]] * 2
    assert attempts[1].started_at > attempts[0].finished_at


def assert_parked(env: BookingsEnv, booking_id: uuid.UUID, code: str, words: str) -> None:
    job = only_job(env, booking_id)
    assert job.status is JobStatus.PARKED, env.describe_jobs()
    assert job.park_code == code
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.PAID
    assert booking.status_reason and words in booking.status_reason
    assert job.park_reason == booking.status_reason
    assert env.events_of(booking_id) == []


PERMISSION_FAILURES = [
    pytest.param("requiredAccessLevel", id="access-level"),
    pytest.param("forbidden", id="forbidden"),
]


@pytest.mark.parametrize("reason", PERMISSION_FAILURES)
def test_a_permission_refusal_parks_with_a_reason_and_keeps_the_booking_paid(
    bookings_env: BookingsEnv, reason: str
) -> None:
    [booking_id] = bookings_env.book()
    bookings_env.script("events.insert", google_error(403, reason, "You need writer access."))
    bookings_env.drain()
    assert_parked(bookings_env, booking_id, ParkCode.PERMISSION, "Pick a calendar you can edit")


def test_a_non_organizer_refusal_parks_with_advice_about_the_organiser(
    bookings_env: BookingsEnv,
) -> None:
    [booking_id] = bookings_env.book()
    message = "Shared properties can only be changed by the organizer of the event."
    bookings_env.script("events.insert", google_error(403, "forbiddenForNonOrganizer", message))
    bookings_env.drain()
    assert_parked(bookings_env, booking_id, ParkCode.PERMISSION, "only its organiser may change it")
    reason = bookings_env.booking(booking_id).status_reason or ""
    assert "Pick a calendar you can edit" not in reason
    assert "forbiddenForNonOrganizer" not in reason


def test_a_read_only_calendar_parks_with_permission(bookings_env: BookingsEnv) -> None:
    bookings_env.sandbox.control("POST", f"calendars/{bookings_env.calendar_id}/read-only")
    [booking_id] = bookings_env.book()
    bookings_env.drain()
    assert_parked(bookings_env, booking_id, ParkCode.PERMISSION, "Pick a calendar you can edit")


def test_a_deleted_calendar_parks_with_calendar_gone(bookings_env: BookingsEnv) -> None:
    bookings_env.sandbox.control("DELETE", f"calendars/{bookings_env.calendar_id}")
    [booking_id] = bookings_env.book()
    bookings_env.drain()
    assert_parked(bookings_env, booking_id, ParkCode.CALENDAR_GONE, "no longer exists")


def test_a_400_parks_as_invalid(bookings_env: BookingsEnv) -> None:
    [booking_id] = bookings_env.book()
    bookings_env.script("events.insert", google_error(400, "invalid", "Invalid attendee email."))
    bookings_env.drain()
    assert_parked(bookings_env, booking_id, ParkCode.INVALID, "Invalid attendee email.")


def test_a_missing_scope_parks_needs_reauth_and_flags_the_connection(
    bookings_env: BookingsEnv,
) -> None:
    [booking_id] = bookings_env.book()
    bookings_env.script(
        "events.insert",
        google_error(403, "insufficientPermissions", "Insufficient Permission"),
    )
    bookings_env.drain()
    assert_parked(bookings_env, booking_id, ParkCode.NEEDS_REAUTH, "reconnect Google Calendar")
    assert bookings_env.connection().status is ConnectionStatus.NEEDS_REAUTH


def test_a_409_on_our_own_event_after_a_lost_answer_is_success_with_one_event(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    [booking_id] = env.book()
    # Google stores the event but the worker sees a 503; the retry then gets 409.
    env.script("events.insert", google_error(503, "backendError"), after_apply=True)
    env.drain()
    assert_scheduled_once(env, booking_id)
    attempts = env.attempts(only_job(env, booking_id).id)
    assert [(a.outcome, a.http_status) for a in attempts] == [
        (AttemptOutcome.RETRY, 503),
        (AttemptOutcome.SUCCEEDED, 409),
    ]
    assert env.stats()["calls"]["events.insert"] == 2


def _plant(env: BookingsEnv, booking_id: uuid.UUID, owner: uuid.UUID) -> None:
    """Put an event with the booking's id on the calendar, carrying ``owner`` as its booking."""
    from leadscalendar.accounts.models import Host
    from leadscalendar.bookings.event_content import event_spec_for
    from leadscalendar.bookings.models import BookingType

    with env.services.session_factory() as session:
        booking = env.booking(booking_id)
        booking_type = session.get(BookingType, booking.booking_type_id)
        host = session.get(Host, booking.host_id)
        assert booking_type is not None and host is not None
        body = build_event_body(event_spec_for(booking, booking_type, host))
    body["extendedProperties"]["private"]["leadscalendarBookingId"] = str(owner)
    env.services.calendars.for_host(env.host_id).insert_event("primary", body)


def test_a_409_on_an_event_that_is_not_ours_parks(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    [booking_id] = env.book()
    _plant(env, booking_id, owner=uuid.uuid4())
    env.drain()
    job = only_job(env, booking_id)
    assert job.status is JobStatus.PARKED
    assert job.park_code == "not_ours"
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.PAID
    assert booking.status_reason and "did not create" in booking.status_reason
    assert len(env.events()) == 1


def test_a_cancelled_copy_of_our_event_is_restored(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    [booking_id] = env.book()
    _plant(env, booking_id, owner=booking_id)
    env.services.calendars.for_host(env.host_id).delete_event("primary", event_id_for(booking_id))
    assert env.events_of(booking_id)[0]["status"] == "cancelled"
    env.drain()
    event = assert_scheduled_once(env, booking_id)
    assert [call["action"] for call in event["_sandbox"]["calls"]] == [
        "insert",
        "delete",
        "patch",
    ]
    timeline_kinds = _timeline(env, booking_id)
    assert "calendar_event_created" in timeline_kinds


def _timeline(env: BookingsEnv, booking_id: uuid.UUID) -> list[str]:
    from leadscalendar.bookings import repository

    with env.services.session_factory() as session:
        return [line.kind for line in repository.timeline(session, booking_id)]


def _scheduled(env: BookingsEnv) -> uuid.UUID:
    [booking_id] = env.book()
    env.drain()
    assert env.booking(booking_id).status is BookingStatus.SCHEDULED
    return booking_id


def _update_job(env: BookingsEnv, booking_id: uuid.UUID) -> Any:
    [job] = env.jobs(UPDATE_EVENT, subject=booking_id)
    return job


@pytest.mark.parametrize("answer", [404, 410, None])
def test_a_reschedule_after_the_host_deleted_the_event_puts_it_back_at_the_new_time(
    bookings_env: BookingsEnv, answer: int | None
) -> None:
    env = bookings_env
    booking_id = _scheduled(env)
    env.services.calendars.for_host(env.host_id).delete_event("primary", event_id_for(booking_id))
    # Patching a deleted event answers 404 (or 410 "deleted"), or (None) patches
    # the cancelled copy Google still keeps and hands it back cancelled.
    if answer is not None:
        reason = "notFound" if answer == 404 else "deleted"
        env.script("events.patch", google_error(answer, reason))
    new_start = env.reschedule(booking_id)
    env.drain()

    job = _update_job(env, booking_id)
    assert job.status is JobStatus.SUCCEEDED, env.describe_jobs()
    assert [a.outcome for a in env.attempts(job.id)] == [AttemptOutcome.SUCCEEDED]
    [event] = env.events_of(booking_id)
    assert event["status"] == "confirmed"
    assert datetime.fromisoformat(event["start"]["dateTime"]) == new_start
    assert env.stats()["calls"]["events.patch"] == 2
    assert "calendar_event_recreated" in _timeline(env, booking_id)
    assert env.booking(booking_id).status is BookingStatus.SCHEDULED


def test_a_410_on_insert_creates_the_event_under_the_bookings_second_id(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    [booking_id] = env.book()
    env.script("events.insert", google_error(410, "deleted", "Resource has been deleted"))
    env.drain()
    job = only_job(env, booking_id)
    assert job.status is JobStatus.SUCCEEDED, env.describe_jobs()
    assert job.attempts == 1
    [event] = env.events_of(booking_id)
    assert event["id"] == replacement_event_id(booking_id) != event_id_for(booking_id)
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.SCHEDULED
    assert booking.google_event_id == event["id"]


def test_a_reschedule_moves_the_event_under_the_id_google_gave_it(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    [booking_id] = env.book()
    env.script("events.insert", google_error(410, "deleted", "Resource has been deleted"))
    env.drain()
    new_start = env.reschedule(booking_id)
    env.drain()
    assert _update_job(env, booking_id).status is JobStatus.SUCCEEDED, env.describe_jobs()
    [event] = env.events_of(booking_id)
    assert event["id"] == replacement_event_id(booking_id)
    assert datetime.fromisoformat(event["start"]["dateTime"]) == new_start
    assert [call["action"] for call in event["_sandbox"]["calls"]] == ["insert", "patch"]


def test_the_scheduled_mark_loads_no_booking_when_no_webhook_endpoint_listens(
    bookings_env: BookingsEnv,
) -> None:
    """Outbound webhooks need the booking's snapshot; without a listener it is not loaded."""
    env = bookings_env
    [booking_id] = env.book(paid=True)
    loads: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        text = " ".join(statement.split())
        if text.startswith("SELECT") and "FROM bookings WHERE bookings.id" in text:
            # Only the create job's loads (the calendar sync that follows reads it too).
            files = {frame.filename for frame in traceback.extract_stack()}
            if any(name.endswith("calendar_tasks.py") for name in files):
                loads.append(text)

    engine = env.services.session_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        env.drain()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert_scheduled_once(env, booking_id)
    assert loads == []
