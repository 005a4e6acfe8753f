from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import (
    ATTEMPTS_EXHAUSTED,
    AttemptOutcome,
    ClaimedJob,
    Job,
    JobStatus,
    RetryPolicy,
    Succeeded,
    claim_due,
    enqueue,
    extend_leases,
    get_job_with_attempts,
    release,
)
from leadscalendar.jobs.lifecycle import record_outcome
from tests.jobs.support import CallEffect, enqueue_many, status_counts

POLICY = RetryPolicy()


def test_each_job_goes_to_one_of_four_concurrent_claimers(
    session_factory: sessionmaker[Session],
) -> None:
    enqueue_many(session_factory, 120, kind="k")
    barrier = threading.Barrier(4)
    claimed: list[ClaimedJob] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        barrier.wait()
        while batch := claim_due(session_factory, name, 3, lease_seconds=300):
            with lock:
                claimed.extend(batch)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    per_job = Counter(claim.id for claim in claimed)
    assert len(per_job) == 120
    assert set(per_job.values()) == {1}
    assert status_counts(session_factory) == {JobStatus.RUNNING: 120}


def test_only_due_jobs_of_known_kinds_are_claimed(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        due = enqueue(session, "mine", {"x": 1}, subject_key="a", host_id=None)
        enqueue(
            session, "mine", {}, subject_key="b", host_id=None, run_after=utcnow() + timedelta(1)
        )
        enqueue(session, "not_mine", {}, subject_key="c", host_id=None)
    assert claim_due(session_factory, "w", 10, 60, kinds=set()) == []
    claims = claim_due(session_factory, "w", 10, 60, kinds={"mine"})
    assert [claim.id for claim in claims] == [due.id]
    (claim,) = claims
    assert claim.payload == {"x": 1}
    assert claim.attempt == 1
    assert claim.lease_owner.startswith("w/")


def test_an_expired_lease_is_reclaimed_and_the_old_owner_cannot_finish(
    session_factory: sessionmaker[Session],
) -> None:
    (job_id,) = enqueue_many(session_factory, 1, kind="k")
    start = utcnow()
    (first,) = claim_due(session_factory, "crashed", 1, lease_seconds=30, now=start)
    assert claim_due(session_factory, "other", 1, 30, now=start + timedelta(seconds=29)) == []
    (second,) = claim_due(session_factory, "other", 1, 30, now=start + timedelta(seconds=31))
    assert second.id == job_id
    assert second.attempt == 2
    assert second.lease_owner != first.lease_owner

    applied: list[str] = []
    with unit_of_work(session_factory) as session:
        late = Succeeded(effects=(CallEffect("test.stale", lambda _: applied.append("stale")),))
        status = record_outcome(session, first, late, started_at=start, latency_ms=1, policy=POLICY)
    assert status is None
    assert applied == []
    with unit_of_work(session_factory) as session:
        status = record_outcome(
            session, second, Succeeded("ok"), started_at=start, latency_ms=1, policy=POLICY
        )
    assert status is JobStatus.SUCCEEDED
    with session_factory() as session:
        history = get_job_with_attempts(session, job_id)
    assert [a.outcome for a in history.attempts] == [
        AttemptOutcome.ABANDONED,
        AttemptOutcome.SUCCEEDED,
    ]
    assert history.job.lease_owner is None
    assert history.job.finished_at is not None


def test_a_job_whose_last_attempt_crashed_is_parked_not_rerun(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        job = enqueue(session, "k", {}, subject_key="s", host_id=None, max_attempts=1)
    start = utcnow()
    claim_due(session_factory, "crashed", 1, lease_seconds=1, now=start)
    assert claim_due(session_factory, "other", 1, 1, now=start + timedelta(seconds=5)) == []
    with session_factory() as session:
        parked = session.get_one(Job, job.id)
        assert parked.status is JobStatus.PARKED
        assert parked.park_code == ATTEMPTS_EXHAUSTED


def test_heartbeat_keeps_a_lease_and_reports_lost_ones(
    session_factory: sessionmaker[Session],
) -> None:
    enqueue_many(session_factory, 2, kind="k")
    start = utcnow()
    kept, lost = claim_due(session_factory, "w", 2, lease_seconds=10, now=start)
    later = start + timedelta(seconds=8)
    assert extend_leases(session_factory, [kept], 10, now=later) == {kept.id}
    # ``lost`` expired at start+10 and was reclaimed; ``kept`` runs until start+18.
    reclaimed = claim_due(session_factory, "other", 5, 10, now=start + timedelta(seconds=12))
    assert [claim.id for claim in reclaimed] == [lost.id]
    assert extend_leases(session_factory, [kept, lost], 10) == {kept.id}


def test_release_gives_the_job_and_its_attempt_back(
    session_factory: sessionmaker[Session],
) -> None:
    (job_id,) = enqueue_many(session_factory, 1, kind="k")
    (claim,) = claim_due(session_factory, "stopping", 1, lease_seconds=300)
    assert release(session_factory, claim) is True
    assert release(session_factory, claim) is False
    (again,) = claim_due(session_factory, "other", 1, lease_seconds=300)
    assert again.id == job_id
    assert again.attempt == 1
    with session_factory() as session:
        assert session.scalars(select(Job.id)).all() == [job_id]


def test_claim_returns_nothing_when_queue_is_empty(session_factory: sessionmaker[Session]) -> None:
    assert claim_due(session_factory, "w", 5, 60) == []
    assert claim_due(session_factory, "w", 0, 60) == []
    assert extend_leases(session_factory, [], 60) == set()
