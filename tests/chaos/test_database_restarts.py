"""PostgreSQL "restarting" under running workers, simulated without touching the shared cluster.

Every backend connection of the test database is terminated, a few times,
while a worker thread and a ``leadscalendar worker`` process run jobs: what a
server restart looks like from the clients' side. The workers log the errors,
retry, and a job whose outcome could not be recorded comes back when its
lease expires.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from tests.chaos.invariants import assert_invariants
from tests.support.bookings_env import BookingsEnv

TERMINATE = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
RESTARTS = 3
BETWEEN_RESTARTS_SECONDS = 1.0
WORKER = {"jobs_lease_seconds": 1.5, "google_rate_per_user_per_minute": 1_000_000.0}


@pytest.mark.postgres
@pytest.mark.timeout(180)
def test_terminated_database_connections_under_running_workers_lose_nothing(
    chaos_env: BookingsEnv, database_url: str, chaos_scale: int
) -> None:
    env = chaos_env
    env.sandbox.control("POST", "latency", {"seconds": 0.2})
    process = env.spawn_worker(concurrency=2, **WORKER)
    process.wait_started()
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    terminated = 0
    try:
        with env.worker(concurrency=2) as stats:
            for _ in range(RESTARTS * chaos_scale):
                env.book(10)
                time.sleep(BETWEEN_RESTARTS_SECONDS)
                with admin.connect() as connection:
                    terminated += int(connection.execute(TERMINATE).scalar_one())
            env.sandbox.control("POST", "latency", {"seconds": 0})
            env.wait_drained(timeout=60 * chaos_scale)
    finally:
        admin.dispose()
    process.stop()
    assert terminated >= RESTARTS, "the workers held no connection to cut"
    assert process.process.returncode == 0, process.log()[-2000:]
    assert stats.succeeded > 0
    assert_invariants(env)
