"""A retry that gives up after the same failure several times in a row, and only then."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import (
    AttemptOutcome,
    JobContext,
    JobRegistry,
    JobStatus,
    Outcome,
    Park,
    Retry,
    RetryPolicy,
    claim_due,
    enqueue,
    get_job_with_attempts,
    retry_job,
)
from leadscalendar.jobs.runner import run_claimed
from tests.jobs.support import TestParkCode

POLICY = RetryPolicy(base_seconds=1, cap_seconds=60)
GONE = Park(code=TestParkCode.CALENDAR_GONE, reason="Pick another calendar.")


def failing(statuses: Iterator[int]) -> JobRegistry:
    """A handler answering each status in turn; a 404 gives up after three in a row."""

    def handler(ctx: JobContext) -> Outcome:
        status = next(statuses)
        return Retry(
            reason=f"Google said {status}",
            http_status=status,
            operation="events.insert",
            give_up_after=3 if status == 404 else None,
            give_up=GONE if status == 404 else None,
        )

    registry = JobRegistry()
    registry.register("insert", handler)
    return registry


def enqueue_one(session_factory: sessionmaker[Session]) -> uuid.UUID:
    with unit_of_work(session_factory) as session:
        return enqueue(session, "insert", {}, subject_key="b", host_id=None, max_attempts=20).id


def run(session_factory: sessionmaker[Session], registry: JobRegistry, times: int) -> list[object]:
    statuses = []
    for hour in range(times):
        now = utcnow() + timedelta(hours=hour + 1)
        (claim,) = claim_due(session_factory, "w", 1, lease_seconds=60, now=now)
        statuses.append(
            run_claimed(claim, registry, session_factory, policy=POLICY, lease_seconds=60)
        )
    return statuses


def test_the_same_failure_three_times_in_a_row_parks_with_the_handlers_reason(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = enqueue_one(session_factory)
    statuses = run(session_factory, failing(itertools.repeat(404)), 3)
    assert statuses == [JobStatus.QUEUED, JobStatus.QUEUED, JobStatus.PARKED]
    with session_factory() as session:
        history = get_job_with_attempts(session, job_id)
    assert history.job.park_code == "calendar_gone"
    assert history.job.park_reason == "Pick another calendar."
    assert [a.outcome for a in history.attempts] == [
        AttemptOutcome.RETRY,
        AttemptOutcome.RETRY,
        AttemptOutcome.PARKED,
    ]


def test_another_failure_in_between_starts_the_count_again(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = enqueue_one(session_factory)
    registry = failing(iter([404, 404, 503, 404, 404, 404]))
    statuses = run(session_factory, registry, 6)
    assert statuses == [JobStatus.QUEUED] * 5 + [JobStatus.PARKED]
    with session_factory() as session:
        assert get_job_with_attempts(session, job_id).job.park_code == "calendar_gone"


def test_a_job_retried_by_a_person_gets_the_whole_allowance_again(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = enqueue_one(session_factory)
    registry = failing(itertools.repeat(404))
    assert run(session_factory, registry, 3)[-1] is JobStatus.PARKED
    with unit_of_work(session_factory) as session:
        retry_job(session, job_id)
    assert run(session_factory, registry, 2) == [JobStatus.QUEUED, JobStatus.QUEUED]
    assert run(session_factory, registry, 1) == [JobStatus.PARKED]
