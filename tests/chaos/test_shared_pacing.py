"""Two ``leadscalendar worker`` processes pacing Google calls through one Redis, killed mid-run.

The sandbox enforces Google's default quotas (600 calls a minute per user,
10,000 per project) and the workers pace at the same numbers, shared through a
Redis of the test's own (the machine's is shared by everyone). First the two
workers drain a backlog with Redis up: every permit is counted in Redis, none
in a process alone. Then Redis is killed while the next backlog drains: each
worker degrades to pacing alone with half the quotas, keeps working, and goes
back to Redis once it is restarted. Nothing is lost, nothing is duplicated, and
Google refuses nothing.
"""

from __future__ import annotations

import time

import pytest

from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.jobs import JobStatus
from tests.chaos.invariants import assert_invariants
from tests.support.bookings_env import BookingsEnv, wait_until
from tests.support.redis_server import RedisServer

GOOGLE_QUOTAS = {"per_user_per_minute": 600, "per_project_per_minute": 10_000}
# 10 calls a second for the one host: a backlog of 30 takes about 3 s.
BOOKINGS_PER_BACKLOG = 30
LATENCY_SECONDS = 0.05
AFTER_RESTART = 5


def _succeeded(env: BookingsEnv) -> int:
    return sum(job.status is JobStatus.SUCCEEDED for job in env.jobs(CREATE_EVENT))


def _worker_settings(redis: RedisServer) -> dict[str, object]:
    return {
        "redis_url": redis.url,
        "jobs_process_count": 2,
        "jobs_pacing_redis_retry_seconds": 0.3,
        "log_level": "DEBUG",
    }


@pytest.mark.timeout(300)
def test_two_workers_pace_through_redis_and_survive_its_restart(
    chaos_env: BookingsEnv, own_redis: RedisServer, chaos_scale: int
) -> None:
    env = chaos_env
    env.sandbox.control("POST", "quotas", GOOGLE_QUOTAS)
    env.sandbox.control("POST", "latency", {"seconds": LATENCY_SECONDS})
    workers = [env.spawn_worker(concurrency=4, **_worker_settings(own_redis)) for _ in range(2)]
    for worker in workers:
        worker.wait_started()

    # Redis up: both processes run jobs, every permit comes from Redis.
    count = BOOKINGS_PER_BACKLOG * chaos_scale
    env.book(count)
    env.wait_drained(timeout=60 * chaos_scale)
    assert _processes_that_ran_jobs(env) == {worker.pid for worker in workers}
    assert not any("pacing.degraded" in worker.log() for worker in workers)
    host_window = _host_quota_window(own_redis, str(env.host_id))
    # Neither process paced alone, so every permit of both is in this one list (a retried
    # job would take a second permit, hence at least).
    assert own_redis.client().llen(host_window) >= count

    # Redis killed mid-backlog, restarted a moment later.
    env.book(count)
    wait_until(lambda: _succeeded(env) >= count + 5, what="the second backlog to start")
    own_redis.stop()
    done_when_killed = _succeeded(env)
    wait_until(lambda: _succeeded(env) >= done_when_killed + 5, what="progress without Redis")
    own_redis.start()
    env.wait_drained(timeout=60 * chaos_scale)
    # Work arriving after the restart is paced through Redis again.
    env.book(AFTER_RESTART)
    env.wait_drained(timeout=60 * chaos_scale)
    for worker in workers:
        worker.stop()

    logs = [worker.log() for worker in workers]
    assert any("pacing.degraded" in log for log in logs), "a worker noticed Redis was gone"
    assert any("pacing.restored" in log for log in logs), "and came back to it"
    assert own_redis.client().llen(_host_quota_window(own_redis, str(env.host_id))) > 0
    assert env.sandbox.control("GET", "stats")["rate_limit_errors"] == 0
    assert _succeeded(env) == 2 * count + AFTER_RESTART
    assert_invariants(env)


def _processes_that_ran_jobs(env: BookingsEnv) -> set[int]:
    """Worker ids are ``host:pid``, and every attempt names its claim's owner."""
    owners = {attempt.lease_owner or "" for attempt in env.attempts()}
    return {int(owner.split("/")[0].rsplit(":", 1)[1]) for owner in owners if ":" in owner}


def _host_quota_window(redis: RedisServer, host_id: str) -> str:
    """The Redis key of the host's minute-long window (limits names it after the window)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        keys = [key.decode() for key in redis.client().scan_iter(f"*{host_id}*")]
        minute = [key for key in keys if "/61/" in key]
        if minute:
            return minute[0]
        time.sleep(0.05)
    raise AssertionError(f"no pacing window in Redis for host {host_id}")
