"""``leadscalendar worker`` as real processes: killed mid-job, and two of them sharing a queue."""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest
from sqlalchemy import select, update

from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.calendar_sync.job_kinds import RECONCILE
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.events import event_id_for
from leadscalendar.google.models import GoogleConnection
from leadscalendar.jobs import AttemptOutcome, Job, JobStatus, cancel_pending_for_subject
from tests.support.bookings_env import BookingsEnv, wait_until

# Our pacing would otherwise be the bottleneck of the 500-job test.
UNPACED = {"google_rate_per_user_per_minute": 1_000_000.0}
POSTGRES_JOBS = 500
SQLITE_JOBS = 100


@pytest.mark.timeout(240)
def test_a_worker_killed_after_google_stored_the_event_is_finished_by_the_next_one(
    bookings_env: BookingsEnv,
) -> None:
    """SIGKILL after the sandbox accepted the insert, before the worker recorded it."""
    env = bookings_env
    [booking_id] = env.book()
    [job] = env.jobs(CREATE_EVENT)
    # The calendar-sync set-up queued at connect would refresh the token first: not this test's.
    with unit_of_work(env.services.session_factory) as session:
        cancel_pending_for_subject(session, f"host:{env.host_id}", kinds=[RECONCILE])
    # The insert lands at the sandbox after this delay: time to bar the worker from the database.
    # An access token past its expiry makes the worker refresh it, and commit that, as its
    # last database write before events.insert: our signal to bar it from the database.
    with unit_of_work(env.services.session_factory) as session:
        session.execute(update(GoogleConnection).values(access_token_expires_at=utcnow()))
    version = env.connection().token_version
    # The insert lands at the sandbox only after this delay.
    env.sandbox.control("POST", "latency", {"seconds": 3})
    first = env.spawn_worker(concurrency=1, jobs_lease_seconds=2.0)
    wait_until(
        lambda: env.connection().token_version > version, timeout=90, what="the token refresh"
    )
    with env.services.engine.begin() as barrier:
        # A row lock on PostgreSQL, the write lock on SQLite: the worker cannot record anything.
        barrier.execute(select(Job.id).where(Job.id == job.id).with_for_update())
        wait_until(lambda: len(env.events_of(booking_id)) == 1, what="the sandbox to store it")
        time.sleep(0.3)  # the answer is on its way back; the worker will wait for the database
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
    [job] = env.jobs(CREATE_EVENT)
    assert job.status is JobStatus.RUNNING  # nothing was recorded: the kill came first
    assert env.booking(booking_id).status is BookingStatus.PAID

    env.sandbox.control("POST", "latency", {"seconds": 0})
    second = env.spawn_worker(concurrency=1, jobs_lease_seconds=2.0)
    env.wait_drained(timeout=90)
    second.stop()

    events = env.events_of(booking_id)
    assert len(events) == 1
    assert events[0]["id"] == event_id_for(booking_id) and events[0]["status"] == "confirmed"
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.SCHEDULED
    assert booking.google_event_id == events[0]["id"]
    [job] = env.jobs(CREATE_EVENT)
    assert job.status is JobStatus.SUCCEEDED
    attempts = env.attempts(job.id)
    assert [(a.outcome, a.http_status) for a in attempts] == [
        (AttemptOutcome.ABANDONED, None),
        (AttemptOutcome.SUCCEEDED, 409),
    ]
    assert attempts[0].lease_owner != attempts[1].lease_owner
    assert env.stats()["calls"]["events.insert"] == 2


@pytest.mark.timeout(600)
def test_two_worker_processes_drain_500_jobs_with_one_event_each(
    bookings_env: BookingsEnv, database_url: str
) -> None:
    """500 on PostgreSQL (SKIP LOCKED); SQLite, where writers take turns, gets a smaller load."""
    env = bookings_env
    workers = [env.spawn_worker(concurrency=4, jobs_process_count=2, **UNPACED) for _ in range(2)]
    for worker in workers:
        worker.wait_started()
    count = SQLITE_JOBS if database_url.startswith("sqlite") else POSTGRES_JOBS
    booking_ids = env.book(count)
    env.wait_drained(timeout=480)
    for worker in workers:
        worker.stop()

    jobs = env.jobs(CREATE_EVENT)
    assert len(jobs) == count
    assert Counter(job.status for job in jobs) == {JobStatus.SUCCEEDED: count}
    per_booking = Counter(
        event["extendedProperties"]["private"]["leadscalendarBookingId"]
        for event in env.events()
        if event["status"] == "confirmed"
    )
    assert per_booking == {str(booking_id): 1 for booking_id in booking_ids}
    assert len(env.events()) == count
    owners = {
        (attempt.lease_owner or "").split("/")[0]
        for attempt in env.attempts()
        if attempt.outcome is AttemptOutcome.SUCCEEDED
    }
    assert owners == {f"{_hostname(worker.log())}:{worker.pid}" for worker in workers}
    with env.services.session_factory() as session:
        from leadscalendar.bookings.models import Booking

        statuses = Counter(session.scalars(select(Booking.status)))
    assert statuses == {BookingStatus.SCHEDULED: count}


def _hostname(log: str) -> str:
    marker = "worker_id="
    start = log.index(marker) + len(marker)
    worker_id = log[start:].split()[0]
    return worker_id.rsplit(":", 1)[0]
