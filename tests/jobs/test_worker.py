from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.base import utcnow
from leadscalendar.jobs import (
    Job,
    JobStatus,
    QuotaPacer,
    Quotas,
    Worker,
    WorkerStats,
    claim_due,
    run_worker,
    stop_on_signals,
)
from tests.jobs.support import (
    effect_counts,
    enqueue_many,
    make_registry,
    status_counts,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("with_effects")


def start_worker(
    session_factory: sessionmaker[Session], stop: threading.Event, **options: object
) -> Callable[[], WorkerStats]:
    """Run the worker on a thread; return a function that stops it and returns its stats."""
    result: list[WorkerStats] = []
    kwargs: dict[str, object] = {"concurrency": 4, "poll_interval": 0.02, "stop_event": stop}
    kwargs.update(options)

    def target() -> None:
        result.append(run_worker(session_factory, make_registry(), **kwargs))  # type: ignore[arg-type]

    thread = threading.Thread(target=target)
    thread.start()

    def stop_and_join() -> WorkerStats:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()
        return result[0]

    return stop_and_join


def no_live_running_jobs(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        running = session.scalars(select(Job).where(Job.status == JobStatus.RUNNING)).all()
        assert running == []
        leased = session.scalars(select(Job).where(Job.lease_owner.is_not(None))).all()
        assert leased == []


def test_four_threads_drain_200_jobs_each_effect_once(
    session_factory: sessionmaker[Session],
) -> None:
    ids = enqueue_many(session_factory, 200, sleep=0.002)
    stop = start_worker(session_factory, threading.Event())
    wait_until(lambda: status_counts(session_factory) == {JobStatus.SUCCEEDED: 200})
    stats = stop()
    assert effect_counts(session_factory) == {str(job_id): 1 for job_id in ids}
    assert stats.succeeded == stats.claimed == 200
    no_live_running_jobs(session_factory)


def test_stopping_finishes_in_flight_jobs_and_strands_none(
    session_factory: sessionmaker[Session],
) -> None:
    enqueue_many(session_factory, 200, sleep=0.05)
    stop = start_worker(session_factory, threading.Event())
    wait_until(lambda: status_counts(session_factory).get(JobStatus.SUCCEEDED, 0) >= 4)
    stats = stop()
    no_live_running_jobs(session_factory)
    counts = status_counts(session_factory)
    assert counts[JobStatus.SUCCEEDED] == stats.succeeded < 200
    assert counts[JobStatus.QUEUED] == 200 - stats.succeeded
    assert len(effect_counts(session_factory)) == stats.succeeded


def test_sigterm_stops_the_worker_cleanly(session_factory: sessionmaker[Session]) -> None:
    enqueue_many(session_factory, 200, sleep=0.03)
    previous = signal.getsignal(signal.SIGTERM)
    stop_event = threading.Event()

    def terminate_after_some_work() -> None:
        wait_until(lambda: status_counts(session_factory).get(JobStatus.SUCCEEDED, 0) >= 2)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_after_some_work)
    with stop_on_signals(stop_event):
        killer.start()
        stats = run_worker(
            session_factory,
            make_registry(),
            concurrency=2,
            poll_interval=0.02,
            stop_event=stop_event,
        )
    killer.join()
    assert signal.getsignal(signal.SIGTERM) is previous
    assert 2 <= stats.succeeded < 200
    no_live_running_jobs(session_factory)


class NeverYouMind:
    """A pacer that never grants a call: the worker must wait, and give the job back on stop."""

    def __init__(self) -> None:
        self.asked = threading.Event()

    def acquire(self, key: uuid.UUID | None) -> float:
        self.asked.set()
        return 60.0


def test_a_job_waiting_on_the_pacer_is_released_on_stop(
    session_factory: sessionmaker[Session],
) -> None:
    (job_id,) = enqueue_many(session_factory, 1)
    pacer = NeverYouMind()
    stop = start_worker(session_factory, threading.Event(), concurrency=1, pacer=pacer)
    assert pacer.asked.wait(10)
    stats = stop()
    assert stats.released == 1
    with session_factory() as session:
        job = session.get_one(Job, job_id)
        assert (job.status, job.attempts, job.lease_owner) == (JobStatus.QUEUED, 0, None)
        assert job.run_after <= utcnow()


def test_the_pacer_paces_a_real_worker(session_factory: sessionmaker[Session]) -> None:
    enqueue_many(session_factory, 12)
    # The project may make 10 calls a second: 12 jobs need more than a second.
    pacer = QuotaPacer.in_memory(Quotas(per_user_per_minute=600, per_project_per_minute=600))
    started = time.monotonic()
    stop = start_worker(session_factory, threading.Event(), pacer=pacer)
    wait_until(lambda: status_counts(session_factory) == {JobStatus.SUCCEEDED: 12})
    elapsed = time.monotonic() - started
    stop()
    assert elapsed >= 1.0


def test_heartbeat_keeps_short_leases_of_slow_jobs(session_factory: sessionmaker[Session]) -> None:
    # Each job outlives its 1.5 s lease; heartbeats every 0.5 s keep it, so no job is
    # reclaimed by another thread and every effect happens once. (Margins are wide so a
    # loaded CI machine does not miss a heartbeat.)
    ids = enqueue_many(session_factory, 4, sleep=3.0)
    stop = start_worker(session_factory, threading.Event(), lease_seconds=1.5)
    wait_until(lambda: status_counts(session_factory) == {JobStatus.SUCCEEDED: 4})
    stats = stop()
    assert effect_counts(session_factory) == {str(job_id): 1 for job_id in ids}
    assert stats.lease_lost == 0
    assert stats.claimed == 4


def test_every_job_thread_runs_inside_the_thread_context_until_it_ends(
    session_factory: sessionmaker[Session],
) -> None:
    entered: list[str] = []
    exited: list[str] = []

    @contextmanager
    def per_thread() -> Iterator[None]:
        entered.append(threading.current_thread().name)
        yield
        exited.append(threading.current_thread().name)

    enqueue_many(session_factory, 20)
    stop = start_worker(session_factory, threading.Event(), thread_context=per_thread)
    wait_until(lambda: status_counts(session_factory) == {JobStatus.SUCCEEDED: 20})
    assert exited == []
    stop()
    assert sorted(entered) == sorted(exited) == sorted(f"job-worker-{n}" for n in range(4))


def test_a_backlog_is_claimed_in_batches_not_one_transaction_per_job(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadscalendar.jobs import lifecycle

    claimed_per_transaction: list[int] = []
    real_claim_due = lifecycle.claim_due

    def counting_claim_due(*args: Any, **kwargs: Any) -> list[Any]:
        claims = real_claim_due(*args, **kwargs)
        if claims:
            claimed_per_transaction.append(len(claims))
        return claims

    monkeypatch.setattr(lifecycle, "claim_due", counting_claim_due)
    ids = enqueue_many(session_factory, 120, sleep=0.01)
    stop = start_worker(session_factory, threading.Event(), concurrency=8)
    wait_until(lambda: status_counts(session_factory) == {JobStatus.SUCCEEDED: 120})
    stats = stop()
    assert effect_counts(session_factory) == {str(job_id): 1 for job_id in ids}
    assert sum(claimed_per_transaction) == stats.claimed == 120
    # Eight threads, up to sixteen jobs held: a claim waits for four free slots.
    assert max(claimed_per_transaction) <= 16
    # Every claim but the last takes at least four (the last may find fewer left).
    assert len(claimed_per_transaction) <= 120 / 4 + 1


# -- the parts of a Worker, one at a time ------------------------------------------------


def make_worker(session_factory: sessionmaker[Session], **options: Any) -> Worker:
    kwargs: dict[str, Any] = {"concurrency": 2, "poll_interval": 0.02, "lease_seconds": 30.0}
    return Worker(session_factory, make_registry(), **(kwargs | options))


def test_claim_loop_alone_leases_due_jobs_and_hands_them_over(
    session_factory: sessionmaker[Session],
) -> None:
    ids = enqueue_many(session_factory, 3)
    worker = make_worker(session_factory, worker_id="claimer-only")
    claimer = threading.Thread(target=worker.claim_loop)
    claimer.start()
    wait_until(lambda: worker.stats.claimed == 3)
    worker.stop()
    claimer.join(timeout=5)
    assert not claimer.is_alive(), "stop() ends the claim loop"
    handed = [worker.handed_over.get_nowait() for _ in range(3)]
    assert sorted(claim.id for claim in handed if claim) == sorted(ids)
    assert worker.handed_over.empty()
    assert {claim.id for claim in worker.in_flight.snapshot()} == set(ids)
    with session_factory() as session:
        jobs = session.scalars(select(Job)).all()
        assert {job.status for job in jobs} == {JobStatus.RUNNING}
        assert all((job.lease_owner or "").startswith("claimer-only") for job in jobs)


def test_job_loop_alone_runs_what_it_is_handed_until_told_to_end(
    session_factory: sessionmaker[Session],
) -> None:
    ids = enqueue_many(session_factory, 2)
    worker = make_worker(session_factory)
    for claim in claim_due(session_factory, worker.worker_id, 2, 30.0):
        worker.in_flight.add(claim)
        worker.handed_over.put(claim)
    worker.handed_over.put(None)
    worker.job_loop()  # on this thread: returns at the None
    assert status_counts(session_factory) == {JobStatus.SUCCEEDED: 2}
    assert effect_counts(session_factory) == {str(job_id): 1 for job_id in ids}
    assert worker.stats.succeeded == 2
    assert worker.in_flight.snapshot() == []


def test_job_loop_after_stop_releases_instead_of_running(
    session_factory: sessionmaker[Session],
) -> None:
    enqueue_many(session_factory, 1)
    worker = make_worker(session_factory)
    (claim,) = claim_due(session_factory, worker.worker_id, 1, 30.0)
    worker.handed_over.put(claim)
    worker.handed_over.put(None)
    worker.stop()
    worker.job_loop()
    assert worker.stats.released == 1
    assert effect_counts(session_factory) == {}
    with session_factory() as session:
        job = session.get_one(Job, claim.id)
        assert (job.status, job.lease_owner) == (JobStatus.QUEUED, None)


def test_a_heartbeat_extends_the_leases_of_held_jobs(
    session_factory: sessionmaker[Session],
) -> None:
    enqueue_many(session_factory, 1)
    worker = make_worker(session_factory, lease_seconds=30.0)
    (claim,) = claim_due(session_factory, worker.worker_id, 1, 1.0)
    with session_factory() as session:
        before = session.get_one(Job, claim.id).lease_expires_at
    worker.in_flight.add(claim)
    worker.beat()
    with session_factory() as session:
        after = session.get_one(Job, claim.id).lease_expires_at
    assert before is not None and after is not None
    assert (after - before).total_seconds() > 20
    # heartbeat() itself beats until the job threads are done, then returns.
    worker.threads_done.set()
    worker.heartbeat()


def test_kinds_outside_paced_kinds_wait_for_no_pacer(
    session_factory: sessionmaker[Session],
) -> None:
    enqueue_many(session_factory, 3)
    pacer = NeverYouMind()
    stop = start_worker(
        session_factory, threading.Event(), pacer=pacer, paced_kinds={"create_calendar_event"}
    )
    wait_until(lambda: status_counts(session_factory) == {JobStatus.SUCCEEDED: 3})
    stop()
    assert not pacer.asked.is_set()
