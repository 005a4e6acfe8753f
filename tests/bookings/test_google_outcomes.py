"""What a booking's calendar job does with each of Google's answers, end to end.

The real worker against the Google sandbox: a transient failure never parks
a paid booking, a 404 is retried before the host is asked, a refused OAuth
client parks for an operator on every refresh path, a 401 that survives
fresh tokens ends in re-consent, and a quota says why and tells the host.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest

from leadscalendar.bookings.google_outcomes import (
    CALENDAR_NOT_FOUND_TRIES,
    PERSISTENT_401_TRIES,
    SLOW_PHASE_REASON,
)
from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.errors import next_quota_reset
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.jobs import AttemptOutcome, Job, JobStatus
from leadscalendar.notifications import SEND_EMAIL
from tests.support.bookings_env import BookingsEnv, google_error, wait_until

OUTAGE = google_error(503, "backendError", "Backend Error")


def only_job(env: BookingsEnv, booking_id: uuid.UUID) -> Job:
    [job] = env.jobs(CREATE_EVENT, subject=booking_id)
    return job


def mails(env: BookingsEnv, template: str) -> list[Job]:
    return [job for job in env.jobs(SEND_EMAIL) if job.payload["template"] == template]


def timeline(env: BookingsEnv, booking_id: uuid.UUID) -> list[str]:
    from leadscalendar.bookings import repository

    with env.services.session_factory() as session:
        return [line.kind for line in repository.timeline(session, booking_id)]


def test_an_outage_outlasting_the_fast_phase_never_parks_and_ends_with_the_event(
    bookings_env: BookingsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = bookings_env
    monkeypatch.setattr(env.settings, "jobs_slow_retry_seconds", 0.1)
    [booking_id] = env.book()
    env.script("events.insert", *[OUTAGE] * 23)
    env.drain(timeout=60)

    job = only_job(env, booking_id)
    assert job.status is JobStatus.SUCCEEDED, env.describe_jobs()
    assert job.attempts == 24 > job.max_attempts
    outcomes = [attempt.outcome for attempt in env.attempts(job.id)]
    assert outcomes == [AttemptOutcome.RETRY] * 23 + [AttemptOutcome.SUCCEEDED]
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.SCHEDULED
    assert booking.status_reason is None
    assert len(env.events_of(booking_id)) == 1
    # Told once, when the fast phase ended: one timeline line, one e-mail.
    assert timeline(env, booking_id).count("calendar_delayed") == 1
    [mail] = mails(env, "booking_delayed")
    assert mail.payload["context"]["reason"] == SLOW_PHASE_REASON


def test_a_missing_calendar_is_retried_before_the_host_is_asked(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    not_found = google_error(404, "notFound", "Not Found")
    [booking_id] = env.book()
    env.script("events.insert", *[not_found] * (CALENDAR_NOT_FOUND_TRIES - 1))
    env.drain()
    job = only_job(env, booking_id)
    assert job.status is JobStatus.SUCCEEDED, env.describe_jobs()
    assert [(a.outcome, a.http_status) for a in env.attempts(job.id)] == [
        (AttemptOutcome.RETRY, 404)
    ] * (CALENDAR_NOT_FOUND_TRIES - 1) + [(AttemptOutcome.SUCCEEDED, 200)]
    assert env.booking(booking_id).status is BookingStatus.SCHEDULED


def test_a_calendar_still_missing_after_a_few_tries_parks_for_the_host(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    env.sandbox.control("DELETE", f"calendars/{env.calendar_id}")
    [booking_id] = env.book()
    env.drain()
    job = only_job(env, booking_id)
    assert job.status is JobStatus.PARKED
    assert job.park_code == ParkCode.CALENDAR_GONE
    assert job.attempts == CALENDAR_NOT_FOUND_TRIES
    assert env.stats()["calls"]["events.insert"] == CALENDAR_NOT_FOUND_TRIES
    # The connection targets "primary": the words name what can really be wrong.
    reason = env.booking(booking_id).status_reason or ""
    assert "Google Calendar is turned off for that account" in reason


def _expire_soon(env: BookingsEnv) -> None:
    with unit_of_work(env.services.session_factory) as session:
        row = session.get_one(GoogleConnection, env.connection().id)
        row.access_token_expires_at = utcnow() + timedelta(seconds=5)  # inside the margin


@pytest.mark.parametrize("path", ["scheduled-refresh", "refresh-after-401"])
def test_a_refused_oauth_client_parks_as_misconfigured_with_an_operator_alert(
    bookings_env: BookingsEnv,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    env = bookings_env
    if path == "scheduled-refresh":
        _expire_soon(env)
    else:
        env.script("events.insert", google_error(401, "authError", "Invalid Credentials"))
    # An operator rotated the client secret at Google but not here: invalid_client.
    monkeypatch.setattr(env.settings, "google_client_secret", "rotated-away")
    [booking_id] = env.book()
    with caplog.at_level(logging.ERROR):
        env.drain()
    job = only_job(env, booking_id)
    assert job.status is JobStatus.PARKED, env.describe_jobs()
    assert job.park_code == "misconfigured"
    assert job.attempts == 1
    assert env.connection().status is ConnectionStatus.ACTIVE  # not the host's to fix
    assert any(
        record.levelno == logging.ERROR and "misconfigured" in record.getMessage()
        for record in caplog.records
    )


def test_a_401_that_survives_fresh_tokens_ends_in_needs_reauth(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    version = env.connection().token_version
    refused = google_error(401, "authError", "Invalid Credentials")
    # Every call is refused, the one right after each refresh too.
    env.script("events.insert", *[refused] * (2 * PERSISTENT_401_TRIES))
    [booking_id] = env.book()
    env.drain()
    job = only_job(env, booking_id)
    assert job.status is JobStatus.PARKED, env.describe_jobs()
    assert job.park_code == ParkCode.NEEDS_REAUTH
    assert env.stats()["calls"]["events.insert"] == 2 * PERSISTENT_401_TRIES
    assert env.connection().token_version == version + PERSISTENT_401_TRIES
    assert env.connection().status is ConnectionStatus.NEEDS_REAUTH
    assert "reconnect Google Calendar" in (env.booking(booking_id).status_reason or "")


def test_the_daily_limit_says_why_waits_for_the_reset_and_tells_the_host(
    bookings_env: BookingsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    env = bookings_env
    env.script(
        "events.insert",
        google_error(403, "dailyLimitExceeded", "Daily Limit Exceeded", domain="usageLimits"),
    )
    [booking_id] = env.book()

    def waiting(jobs: list[Job]) -> bool:
        return bool(jobs) and jobs[0].attempts == 1 and jobs[0].status is JobStatus.QUEUED

    with caplog.at_level(logging.ERROR), env.worker():
        env.wait_for_jobs(waiting)
        # The lead's confirmation and the host's new-booking notice go out too: wait for ours.
        wait_until(lambda: mails(env, "booking_delayed"), timeout=20.0, what="the delay mail")
    job = only_job(env, booking_id)
    assert job.run_after >= next_quota_reset(utcnow()) - timedelta(minutes=1)
    reason = env.booking(booking_id).status_reason or ""
    assert "daily limit" in reason and "midnight" in reason
    assert "dailyLimitExceeded" not in reason
    [mail] = mails(env, "booking_delayed")
    assert mail.payload["context"]["reason"] == reason
    assert any("daily limit" in record.getMessage() for record in caplog.records)
