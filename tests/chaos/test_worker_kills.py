"""``leadscalendar worker`` processes SIGKILLed again and again while jobs are in flight.

A worker takes a few seconds to start (imports, migrations), so each round
starts the successor while the victim works, and kills the victim once the
successor is up and the victim has run for at least ``KILL_AFTER_SECONDS``:
there is always one worker with jobs in flight, and every kill hits one.
"""

from __future__ import annotations

import signal
import time

import pytest

from leadscalendar.jobs import AttemptOutcome
from tests.chaos.invariants import assert_invariants
from tests.support.bookings_env import BookingsEnv, WorkerProcess

UNPACED = {"google_rate_per_user_per_minute": 1_000_000.0}
# Short leases: a killed worker's jobs come back quickly (the heartbeat beats every 1/3).
WORKER = {"jobs_lease_seconds": 1.5, "log_level": "DEBUG", **UNPACED}
# 12 calls of 0.5 s on 2 threads: about 3 s of work, longer than a round.
BOOKINGS_PER_ROUND = 12
LATENCY_SECONDS = 0.5
CONCURRENCY = 2
ROUNDS = 3
KILL_AFTER_SECONDS = 1.0


@pytest.mark.timeout(300)
def test_repeated_sigkill_of_workers_loses_nothing_and_duplicates_nothing(
    chaos_env: BookingsEnv, chaos_scale: int
) -> None:
    env = chaos_env
    # Every Calendar call takes a while: a kill lands while inserts are in flight.
    env.sandbox.control("POST", "latency", {"seconds": LATENCY_SECONDS})
    current = _spawn(env)
    current.wait_started()
    for _ in range(ROUNDS * chaos_scale):
        env.book(BOOKINGS_PER_ROUND)
        successor = _spawn(env)
        time.sleep(KILL_AFTER_SECONDS)
        successor.wait_started()
        current.process.send_signal(signal.SIGKILL)
        current.process.wait(10)
        current = successor
    # The last successor drains what the killed ones left behind (their leases expire).
    env.sandbox.control("POST", "latency", {"seconds": 0})
    env.wait_drained(timeout=60 * chaos_scale)
    current.stop()
    # The kills did land mid-job: a later claim found a dead worker's lease.
    assert any(attempt.outcome is AttemptOutcome.ABANDONED for attempt in env.attempts())
    assert_invariants(env)


def _spawn(env: BookingsEnv) -> WorkerProcess:
    return env.spawn_worker(concurrency=CONCURRENCY, **WORKER)
