"""Google misbehaving during a burst: an outage, random faults and timeouts, a revoked grant."""

from __future__ import annotations

import time
import uuid

import pytest

from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.google.models import ConnectionStatus
from leadscalendar.jobs import AttemptOutcome, JobStatus
from tests.chaos.invariants import assert_invariants
from tests.support.bookings_env import BookingsEnv

OUTAGE_SECONDS = 3.0
TRANSIENT = [429, 403, 500, 503]  # the sandbox's 403 fault is rateLimitExceeded
# Client timeout well below the sandbox's added latency while "slow" is on.
HTTP_TIMEOUT_SECONDS = 0.4
SLOW_SECONDS = 0.8


@pytest.mark.timeout(120)
def test_a_compressed_outage_during_a_burst_ends_with_every_event_once(
    chaos_env: BookingsEnv, chaos_scale: int
) -> None:
    env = chaos_env
    with env.worker(concurrency=4):
        env.book(10 * chaos_scale)
        env.sandbox.control("POST", "faults", {"rate": 1.0, "statuses": [503], "seed": 3})
        env.book(10 * chaos_scale)  # the rest of the burst lands in the outage
        time.sleep(OUTAGE_SECONDS * chaos_scale)
        env.sandbox.control("POST", "faults", {"rate": 0})
        env.wait_drained(timeout=30 * chaos_scale)
    assert env.stats()["errors"]["by_status"].get("503", 0) > 0
    assert_invariants(env)


@pytest.mark.timeout(120)
def test_random_faults_and_timeouts_during_a_burst_end_with_every_event_once(
    chaos_env: BookingsEnv, chaos_scale: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = chaos_env
    # Read per call by the calendar client factory, so the change applies at once.
    monkeypatch.setattr(env.settings, "google_http_timeout_seconds", HTTP_TIMEOUT_SECONDS)
    env.sandbox.control("POST", "faults", {"rate": 0.2, "statuses": TRANSIENT, "seed": 20})
    with env.worker(concurrency=4):
        for _ in range(2 * chaos_scale):
            env.book(10)
            # A slow spell: calls outlive the client's timeout, yet Google applies them.
            env.sandbox.control("POST", "latency", {"seconds": SLOW_SECONDS})
            time.sleep(1.0)
            env.sandbox.control("POST", "latency", {"seconds": 0})
            env.book(10)
            time.sleep(0.5)
        env.wait_drained(timeout=40 * chaos_scale)
    env.sandbox.control("POST", "faults", {"rate": 0})
    by_status = env.stats()["errors"]["by_status"]
    assert {str(status) for status in TRANSIENT} <= set(by_status), by_status
    retried = [
        a for a in env.attempts() if a.outcome in (AttemptOutcome.RETRY, AttemptOutcome.ERROR)
    ]
    assert any(a.http_status is None for a in retried), "no attempt timed out"
    assert_invariants(env)


@pytest.mark.timeout(120)
def test_a_grant_revoked_mid_burst_parks_visibly_then_reconnecting_completes_everything(
    chaos_env: BookingsEnv, chaos_scale: int
) -> None:
    env = chaos_env
    env.sandbox.control("POST", "latency", {"seconds": 0.05})
    with env.worker(concurrency=4):
        env.book(10 * chaos_scale)
        env.wait_for_jobs(lambda jobs: any(job.status is JobStatus.SUCCEEDED for job in jobs))
        env.sandbox.control("POST", "grants/revoke-all")
        env.book(10 * chaos_scale)  # the rest of the burst, after the host's grant is gone
        env.wait_for_jobs(
            lambda jobs: all(j.status in (JobStatus.SUCCEEDED, JobStatus.PARKED) for j in jobs),
            timeout=30,
        )
        parked = [job for job in env.jobs(CREATE_EVENT) if job.status is JobStatus.PARKED]
        assert parked and all(job.park_code == ParkCode.NEEDS_REAUTH for job in parked)
        assert env.connection().status is ConnectionStatus.NEEDS_REAUTH
        # Waiting, but visibly: the mid-run check holds too.
        assert_invariants(env, complete=False)
        waiting = [env.booking(uuid.UUID(job.subject_key)) for job in parked]
        assert all(b.status is BookingStatus.PAID and b.status_reason for b in waiting)

        page = env.app.connect()  # the host presses "Reconnect": the real OAuth dance
        assert page.status_code == 200, page.text
        assert env.connection().status is ConnectionStatus.ACTIVE
        env.wait_drained(timeout=30 * chaos_scale)
    assert_invariants(env)
