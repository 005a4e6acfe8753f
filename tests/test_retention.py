"""The daily clean-up: old history goes, work in flight and recent answers stay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts.models import Host
from leadscalendar.db.session import unit_of_work
from leadscalendar.idempotency.models import IdempotencyKey, Surface
from leadscalendar.jobs import Job, JobAttempt, JobStatus
from leadscalendar.jobs.models import AttemptOutcome
from leadscalendar.retention import (
    BATCH,
    PRUNE_HISTORY,
    RetentionPolicy,
    next_run,
    plan_prune,
    prune_history,
)

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
POLICY = RetentionPolicy(jobs_days=30, idempotency_hours=72, webhooks_days=30)


def _row(status: JobStatus, finished: datetime | None) -> Job:
    return Job(
        kind="send_email",
        payload={},
        subject_key="s",
        host_id=None,
        status=status,
        attempts=1,
        max_attempts=5,
        run_after=NOW,
        finished_at=finished,
    )


def _job(session: Session, status: JobStatus, finished: datetime | None) -> uuid.UUID:
    job = _row(status, finished)
    session.add(job)
    session.flush()
    session.add(
        JobAttempt(
            job_id=job.id,
            number=1,
            lease_owner="w",
            outcome=AttemptOutcome.SUCCEEDED,
            started_at=finished or NOW,
            finished_at=finished or NOW,
        )
    )
    return job.id


def _host(session: Session) -> uuid.UUID:
    host = Host(
        email=f"{uuid.uuid4().hex[:8]}@example.com",
        name="Host",
        slug=uuid.uuid4().hex[:12],
        password_hash="x",
    )
    session.add(host)
    session.flush()
    return host.id


def _key(session: Session, host_id: uuid.UUID, created: datetime) -> uuid.UUID:
    key = IdempotencyKey(
        host_id=host_id,
        surface=Surface.PUBLIC_API,
        key=uuid.uuid4().hex,
        request_hash="0" * 64,
        response_status=201,
        response_body={},
        created_at=created,
    )
    session.add(key)
    session.flush()
    return key.id


def test_old_finished_jobs_and_old_answers_go_and_everything_else_stays(
    session_factory: sessionmaker[Session],
) -> None:
    old = NOW - timedelta(days=31)
    with unit_of_work(session_factory) as session:
        gone = {
            _job(session, JobStatus.SUCCEEDED, old),
            _job(session, JobStatus.CANCELLED, old),
        }
        kept = {
            _job(session, JobStatus.SUCCEEDED, NOW - timedelta(days=29)),
            # A parked paid booking waits for a person however long it takes.
            _job(session, JobStatus.PARKED, old),
            _job(session, JobStatus.QUEUED, None),
        }
        host_id = _host(session)
        old_key = _key(session, host_id, NOW - timedelta(hours=73))
        new_key = _key(session, host_id, NOW - timedelta(hours=71))

    with unit_of_work(session_factory) as session:
        assert POLICY.prune(session, NOW) == (2, 1, 0)

    with session_factory() as session:
        assert set(session.scalars(select(Job.id))) == kept
        attempts = set(session.scalars(select(JobAttempt.job_id)))
        assert attempts == kept and not attempts & gone
        assert set(session.scalars(select(IdempotencyKey.id))) == {new_key}
        assert old_key not in set(session.scalars(select(IdempotencyKey.id)))


def test_zero_keeps_everything(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        _job(session, JobStatus.SUCCEEDED, NOW - timedelta(days=400))
        _key(session, _host(session), NOW - timedelta(days=400))
    with unit_of_work(session_factory) as session:
        assert RetentionPolicy(0, 0, 0).prune(session, NOW) == (0, 0, 0)


def test_the_next_run_is_planned_once_however_many_workers_plan_it(
    session_factory: sessionmaker[Session],
) -> None:
    for _ in range(3):  # three workers starting
        with unit_of_work(session_factory) as session:
            plan_prune(session, NOW)
    with session_factory() as session:
        planned = list(session.scalars(select(Job).where(Job.kind == PRUNE_HISTORY)))
    assert len(planned) == 1
    assert planned[0].run_after == next_run(NOW) == datetime(2026, 11, 30, 3, tzinfo=UTC)
    assert next_run(datetime(2026, 11, 29, 2, tzinfo=UTC)) == datetime(2026, 11, 29, 3, tzinfo=UTC)


def test_a_run_prunes_then_plans_tomorrow_or_soon_when_a_batch_was_full(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        for _ in range(3):
            _job(session, JobStatus.SUCCEEDED, datetime(2020, 1, 1, tzinfo=UTC))
    outcome = prune_history(None, POLICY)  # type: ignore[arg-type]  # the handler reads no context
    [prune] = outcome.effects
    assert prune.name == "retention.prune"
    with unit_of_work(session_factory) as session:
        prune.apply(session)
    with session_factory() as session:
        kinds = list(session.scalars(select(Job.kind)))
        (planned,) = session.scalars(select(Job).where(Job.kind == PRUNE_HISTORY))
    assert kinds == [PRUNE_HISTORY], "the old jobs went; only the next run is left"
    assert planned.run_after is not None
    assert planned.run_after - datetime.now(UTC) > timedelta(minutes=2), "a full day, not soon"

    with unit_of_work(session_factory) as session:
        session.add_all(
            _row(JobStatus.SUCCEEDED, datetime(2020, 1, 1, tzinfo=UTC)) for _ in range(BATCH + 1)
        )
    with unit_of_work(session_factory) as session:
        prune.apply(session)
    with session_factory() as session:
        left = session.scalar(select(func.count()).select_from(Job).where(Job.kind == "send_email"))
        soonest = min(
            job.run_after
            for job in session.scalars(select(Job).where(Job.kind == PRUNE_HISTORY))
            if job.run_after is not None
        )
    assert left == 1, "one batch per run"
    assert soonest - datetime.now(UTC) < timedelta(minutes=2), "the rest follows a minute later"
