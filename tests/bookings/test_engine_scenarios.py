"""The engine through bad weather: a Google outage, a revoked grant, a tight quota."""

from __future__ import annotations

import time
import uuid

import pytest
from googleapiclient.errors import HttpError

from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.google.errors import Action, Operation, classify
from leadscalendar.google.models import ConnectionStatus
from leadscalendar.jobs import AttemptOutcome, JobStatus, ParkCode, pacing
from leadscalendar.sandbox.google import quota
from tests.support.bookings_env import BookingsEnv, wait_until


def assert_all_scheduled_once(env: BookingsEnv, booking_ids: list[uuid.UUID]) -> None:
    for booking_id in booking_ids:
        events = env.events_of(booking_id)
        assert len(events) == 1 and events[0]["status"] == "confirmed"
        booking = env.booking(booking_id)
        assert booking.status is BookingStatus.SCHEDULED
        assert booking.google_event_id == events[0]["id"]
    assert {job.status for job in env.jobs(CREATE_EVENT)} == {JobStatus.SUCCEEDED}


def test_after_an_outage_every_job_succeeds_without_anyone_touching_it(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    env.sandbox.control("POST", "faults", {"rate": 1.0, "statuses": [503], "seed": 7})
    booking_ids = env.book(5)
    with env.worker(concurrency=3):
        # Google is down until every job has failed at least twice.
        wait_until(
            lambda: all(
                sum(a.outcome is AttemptOutcome.RETRY for a in env.attempts(job.id)) >= 2
                for job in env.jobs(CREATE_EVENT)
            ),
            what="every job to fail twice",
        )
        env.sandbox.control("POST", "faults", {"rate": 0})
        env.wait_drained()
    assert_all_scheduled_once(env, booking_ids)
    assert env.stats()["errors"]["by_status"].get("503", 0) >= 10
    for job in env.jobs(CREATE_EVENT):
        assert job.attempts >= 3


def test_a_revoked_grant_parks_jobs_until_the_host_reconnects_then_they_complete(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    booking_ids = env.book(3)
    env.sandbox.control("POST", "grants/revoke-all")
    with env.worker(concurrency=2):
        env.wait_for_jobs(lambda jobs: all(job.status is JobStatus.PARKED for job in jobs))
        for job in env.jobs(CREATE_EVENT):
            assert job.park_code == ParkCode.NEEDS_REAUTH
        for booking_id in booking_ids:
            booking = env.booking(booking_id)
            assert booking.status is BookingStatus.PAID
            assert booking.status_reason and "reconnect Google Calendar" in booking.status_reason
        assert env.connection().status is ConnectionStatus.NEEDS_REAUTH
        assert env.events() == []

        page = env.app.connect()  # the host presses "Reconnect": the real OAuth dance
        assert 'id="reauth-banner"' not in page.text
        assert env.connection().status is ConnectionStatus.ACTIVE
        env.wait_drained()
    assert_all_scheduled_once(env, booking_ids)


@pytest.mark.timeout(90)
def test_pacing_keeps_a_burst_under_googles_per_user_quota(
    bookings_env: BookingsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 bookings at once against a quota a burst would blow: not one rate-limit error.

    The sandbox's quota window is shrunk from 60 s to 4 s (and the quota with it) so the
    test takes seconds: 8 calls per 4 s is a "per minute" quota of 120. The pacer's
    "minute" shrinks the same way, its margin of one second kept: at most 8 calls in
    any 5 s, and 2 in any second.
    """
    env = bookings_env
    monkeypatch.setattr(quota, "WINDOW_SECONDS", 4.0)
    env.sandbox.control("POST", "quotas", {"per_user_per_minute": 8})
    # Without pacing the same burst trips the quota: the sandbox is not lenient.
    burst = env.services.calendars.for_host(env.host_id)
    with pytest.raises(HttpError) as refused:
        for _ in range(9):
            burst.list_calendars()
    assert refused.value.resp.status == 403
    assert classify(refused.value, operation=Operation.CALENDAR_LIST).kind is Action.BACKOFF
    time.sleep(quota.WINDOW_SECONDS + 0.2)  # the quota window passes
    env.sandbox.control("POST", "stats/reset")

    monkeypatch.setattr(pacing, "MINUTE_SECONDS", 4)
    monkeypatch.setattr(pacing, "QUOTA_WINDOW_SECONDS", 5)
    monkeypatch.setattr(env.settings, "google_rate_per_user_per_minute", 8.0)
    booking_ids = env.book(20)
    env.drain(concurrency=8, timeout=60)

    stats = env.stats()
    assert stats["rate_limit_errors"] == 0, stats["errors"]
    assert stats["calls"]["events.insert"] == 20
    assert_all_scheduled_once(env, booking_ids)
