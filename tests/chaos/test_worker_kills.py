"""``leadscalendar worker`` processes SIGKILLed again and again while jobs are in flight.

Two workers run; every ``KILL_EVERY_SECONDS`` the oldest is killed and a
replacement spawned, right after a new batch of bookings arrived. A worker
takes a few seconds to start (imports, migrations): a victim still starting
is waited for, so every kill hits a worker that is busy with the batch.
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
WORKERS = 2
CONCURRENCY = 2
# Every Calendar call takes LATENCY: 2 x 2 threads finish ~8 calls a second, so a
# batch of 16 is still in flight when the kill comes a second later.
LATENCY_SECONDS = 0.5
BOOKINGS_PER_ROUND = 16
ROUNDS = 3
KILL_EVERY_SECONDS = 1.0


@pytest.mark.timeout(300)
def test_repeated_sigkill_of_workers_loses_nothing_and_duplicates_nothing(
    chaos_env: BookingsEnv, chaos_scale: int
) -> None:
    env = chaos_env
    env.sandbox.control("POST", "latency", {"seconds": LATENCY_SECONDS})
    live = [_spawn(env) for _ in range(WORKERS)]
    for worker in live:
        worker.wait_started()
    for _ in range(ROUNDS * chaos_scale):
        env.book(BOOKINGS_PER_ROUND)
        time.sleep(KILL_EVERY_SECONDS)
        victim = live.pop(0)
        victim.wait_started()
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(10)
        live.append(_spawn(env))
    # The survivors drain what the killed ones left behind (their leases expire).
    env.sandbox.control("POST", "latency", {"seconds": 0})
    env.wait_drained(timeout=60 * chaos_scale)
    for worker in live:
        worker.stop()
    # The kills did land mid-job: a later claim found a dead worker's lease.
    assert any(attempt.outcome is AttemptOutcome.ABANDONED for attempt in env.attempts())
    assert_invariants(env)


def _spawn(env: BookingsEnv) -> WorkerProcess:
    return env.spawn_worker(concurrency=CONCURRENCY, **WORKER)
