from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import (
    AttemptOutcome,
    JobContext,
    JobStatus,
    Outcome,
    RetryPolicy,
    Succeeded,
    claim_due,
    enqueue,
    get_job_with_attempts,
)
from leadscalendar.jobs.recorder import OutcomeRecorder
from leadscalendar.jobs.runner import run_claimed
from tests.jobs.support import EFFECT, CallEffect, effects, make_registry

pytestmark = pytest.mark.usefixtures("with_effects")
POLICY = RetryPolicy(base_seconds=1, cap_seconds=60)
BROKEN = "test_broken_apply"


def broken_apply(ctx: JobContext) -> Outcome:
    def apply(session: Session) -> None:
        raise RuntimeError("the booking vanished")

    return Succeeded("done", effects=(CallEffect("test.vanished", apply),))


def enqueue_jobs(session_factory: sessionmaker[Session], kinds: list[str]) -> list[uuid.UUID]:
    with unit_of_work(session_factory) as session:
        return [
            enqueue(session, kind, {}, subject_key=f"s-{index}", host_id=None).id
            for index, kind in enumerate(kinds)
        ]


def test_one_batch_commits_each_outcome_and_a_failing_apply_alone_becomes_an_error(
    session_factory: sessionmaker[Session],
) -> None:
    ok_id, broken_id, other_id = enqueue_jobs(session_factory, [EFFECT, BROKEN, EFFECT])
    claims = claim_due(session_factory, "w", 3, lease_seconds=60)
    registry = make_registry(**{BROKEN: broken_apply})
    recorder = OutcomeRecorder(session_factory)
    statuses: dict[uuid.UUID, JobStatus | None] = {}

    def run(index: int) -> None:
        claim = claims[index]
        statuses[claim.id] = run_claimed(
            claim, registry, session_factory, policy=POLICY, lease_seconds=60, recorder=recorder
        )

    # All three are queued before the recorder runs: they are committed as one batch.
    threads = [threading.Thread(target=run, args=(index,)) for index in range(3)]
    for thread in threads:
        thread.start()
    recorder.start()
    for thread in threads:
        thread.join(timeout=10)
    recorder.stop()

    assert statuses == {
        ok_id: JobStatus.SUCCEEDED,
        broken_id: JobStatus.QUEUED,
        other_id: JobStatus.SUCCEEDED,
    }
    with session_factory() as session:
        written = session.scalars(select(effects.c.job_id)).all()
        assert sorted(written) == sorted([str(ok_id), str(other_id)])
        broken = get_job_with_attempts(session, broken_id)
        assert broken.job.status is JobStatus.QUEUED
        (attempt,) = broken.attempts
        assert attempt.outcome is AttemptOutcome.ERROR
        assert attempt.message == "RuntimeError: the booking vanished"
        ok = get_job_with_attempts(session, ok_id)
        assert [a.outcome for a in ok.attempts] == [AttemptOutcome.SUCCEEDED]


def test_a_lost_lease_writes_nothing_and_the_batch_goes_on(
    session_factory: sessionmaker[Session],
) -> None:
    first_id, second_id = enqueue_jobs(session_factory, [EFFECT, EFFECT])
    first, second = claim_due(session_factory, "w", 2, lease_seconds=60)
    # Another worker took the first job meanwhile: its lease owner changed.
    with unit_of_work(session_factory) as session:
        job = get_job_with_attempts(session, first.id).job
        job.lease_owner = "someone-else/1"
    recorder = OutcomeRecorder(session_factory).start()
    try:
        registry = make_registry()
        lost = run_claimed(
            first, registry, session_factory, policy=POLICY, lease_seconds=60, recorder=recorder
        )
        kept = run_claimed(
            second, registry, session_factory, policy=POLICY, lease_seconds=60, recorder=recorder
        )
    finally:
        recorder.stop()
    assert (lost, kept) == (None, JobStatus.SUCCEEDED)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(effects)) == 1
        assert get_job_with_attempts(session, first_id).attempts == []
        assert get_job_with_attempts(session, second_id).job.status is JobStatus.SUCCEEDED
