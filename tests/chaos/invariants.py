"""The one check every chaos scenario ends with (DESIGN.md invariants 1 and 2).

It reads the database and the Google sandbox's calendar directly, so it holds
whatever the scenario did to get there.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.google.events import event_id_for
from leadscalendar.jobs import Job, JobStatus
from leadscalendar.services import Services
from tests.support.booking_env import BookingEnv
from tests.support.bookings_env import BookingsEnv
from tests.support.google_sandbox import GoogleSandbox

# Bookings that were paid (or free and confirmed) and so must reach the calendar.
PAID = (BookingStatus.PAID, BookingStatus.SCHEDULED)
LIVE_JOB = (JobStatus.SUCCEEDED, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PARKED)
BOOKING_ID_PROPERTY = "leadscalendarBookingId"


def assert_invariants(env: BookingsEnv | BookingEnv, *, complete: bool = True) -> None:
    """Every paid booking: one job that is alive, at most one event, never a silent stall.

    ``complete`` (the end of a scenario, after the queue drained): every paid
    booking is scheduled with exactly one confirmed event whose id is derived
    from the booking. Without it (mid-scenario) a booking may still wait, but
    only visibly: parked with a reason, or queued for a time in the future.
    """
    sandbox = env.sandbox if isinstance(env, BookingsEnv) else env.google
    services = env.services
    bookings, jobs = _rows(services)
    events = _events(sandbox)
    paid = [booking for booking in bookings if booking.status in PAID]

    jobs_of: dict[str, list[Job]] = {}
    for job in jobs:
        jobs_of.setdefault(job.subject_key, []).append(job)
    lost = [b.id for b in paid if not any(j.status in LIVE_JOB for j in jobs_of.get(str(b.id), []))]
    assert not lost, f"paid bookings without a live create-event job: {lost}"

    now = utcnow()
    silent = [
        f"{job.subject_key}:{job.status.value}:{job.run_after}"
        for job in jobs
        if job.status is not JobStatus.SUCCEEDED and not _visibly_waiting(job, now)
    ]
    assert not silent, f"calendar jobs stuck without a visible reason: {silent}"

    per_booking = Counter(_booking_id_of(event) for event in events)
    duplicates = {key: n for key, n in per_booking.items() if n > 1}
    assert not duplicates, f"bookings with more than one event: {duplicates}"
    paid_ids = {str(booking.id) for booking in paid}
    strays = set(per_booking) - paid_ids
    assert not strays, f"events for no paid booking: {strays}"

    by_id = {event["id"]: event for event in events}
    for booking in paid:
        expected = event_id_for(booking.id)
        event = by_id.get(expected)
        if booking.status is BookingStatus.SCHEDULED or complete:
            assert event is not None, f"booking {booking.id} has no event {expected}"
            assert event["status"] == "confirmed", event
            assert _booking_id_of(event) == str(booking.id)
        if booking.status is BookingStatus.SCHEDULED:
            assert booking.google_event_id == expected
    if complete:
        assert all(booking.status is BookingStatus.SCHEDULED for booking in paid), Counter(
            booking.status for booking in paid
        )
        assert Counter(job.status for job in jobs) == {JobStatus.SUCCEEDED: len(jobs)}
        assert len(jobs) == len(paid)


def paid_count(env: BookingsEnv | BookingEnv) -> int:
    bookings, _ = _rows(env.services)
    return sum(booking.status in PAID for booking in bookings)


def _visibly_waiting(job: Job, now: datetime) -> bool:
    if job.status is JobStatus.PARKED:
        return bool(job.park_reason)
    if job.status is JobStatus.QUEUED:
        run_after = job.run_after
        if run_after.tzinfo is None:  # SQLite hands back naive UTC
            run_after = run_after.replace(tzinfo=UTC)
        return run_after > now
    return False


def _rows(services: Services) -> tuple[list[Booking], list[Job]]:
    with services.session_factory() as session:
        bookings = list(session.scalars(select(Booking)))
        jobs = list(session.scalars(select(Job).where(Job.kind == CREATE_EVENT)))
    return bookings, jobs


def _events(sandbox: GoogleSandbox) -> list[dict[str, Any]]:
    calendar_id = sandbox.config.account_email
    events: list[dict[str, Any]] = sandbox.control("GET", f"calendars/{calendar_id}/events")[
        "events"
    ]
    return events


def _booking_id_of(event: dict[str, Any]) -> str:
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return str(private.get(BOOKING_ID_PROPERTY) or f"<none:{event['id']}>")
