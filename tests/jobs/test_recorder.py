from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
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
from leadscalendar.jobs.outcomes import ClaimedJob
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


def record_in_one_batch(
    session_factory: sessionmaker[Session], kinds: list[str]
) -> dict[uuid.UUID, JobStatus | None]:
    """Enqueue and claim ``kinds``, queue every outcome, then let the recorder write one batch."""
    enqueue_jobs(session_factory, kinds)
    claims = claim_due(session_factory, "w", len(kinds), lease_seconds=60)
    registry = make_registry(**{BROKEN: broken_apply})
    recorder = OutcomeRecorder(session_factory)
    statuses: dict[uuid.UUID, JobStatus | None] = {}

    def run(claim: ClaimedJob) -> None:
        statuses[claim.id] = run_claimed(
            claim, registry, session_factory, policy=POLICY, lease_seconds=60, recorder=recorder
        )

    threads = [threading.Thread(target=run, args=(claim,)) for claim in claims]
    for thread in threads:
        thread.start()
    recorder.start()
    for thread in threads:
        thread.join(timeout=10)
    recorder.stop()
    return statuses


@contextmanager
def savepoints_taken(session_factory: sessionmaker[Session]) -> Iterator[list[str]]:
    """The SAVEPOINT statements sent to the database within the block."""
    taken: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("SAVEPOINT"):
            taken.append(statement)

    engine = session_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield taken
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_a_batch_where_nothing_fails_takes_no_savepoint(
    session_factory: sessionmaker[Session],
) -> None:
    with savepoints_taken(session_factory) as statements:
        statuses = record_in_one_batch(session_factory, [EFFECT, EFFECT, EFFECT])
    assert list(statuses.values()) == [JobStatus.SUCCEEDED] * 3
    assert statements == []


def test_a_batch_written_again_after_a_failure_reports_each_attempt_once(
    session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="leadscalendar.jobs")
    with savepoints_taken(session_factory) as statements:
        statuses = record_in_one_batch(session_factory, [EFFECT, BROKEN, EFFECT])
    assert Counter(statuses.values()) == {JobStatus.SUCCEEDED: 2, JobStatus.QUEUED: 1}
    assert statements  # the plain batch failed, the savepoint one wrote it
    finished = [r.getMessage() for r in caplog.records if r.getMessage().startswith("job.finished")]
    assert sorted(line.split()[1] for line in finished) == sorted(
        f"job_id={job_id}" for job_id in statuses
    )
