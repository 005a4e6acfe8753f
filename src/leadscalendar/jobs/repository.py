"""Every query of the jobs domain."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from leadscalendar.jobs.models import Job, JobAttempt, JobStatus


def get_job(session: Session, job_id: uuid.UUID) -> Job | None:
    return session.get(Job, job_id)


def get_job_by_dedupe_key(session: Session, dedupe_key: str) -> Job | None:
    return session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))


def lock_job(session: Session, job_id: uuid.UUID) -> Job | None:
    """The job, row-locked until the transaction ends (PostgreSQL; SQLite locks the file)."""
    return session.scalar(
        select(Job)
        .where(Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_claimable(
    session: Session, *, now: datetime, limit: int, kinds: Collection[str] | None
) -> Sequence[Job]:
    """Due jobs, and running jobs whose lease has expired, locked for this transaction.

    ``SKIP LOCKED`` lets concurrent workers on PostgreSQL each take different
    rows instead of queueing behind one another; SQLAlchemy renders no locking
    clause on SQLite, where ``BEGIN IMMEDIATE`` already makes claimers take turns.
    """
    claimable = or_(
        and_(Job.status == JobStatus.QUEUED, Job.run_after <= now),
        and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now),
    )
    query = select(Job).where(claimable)
    if kinds is not None:
        query = query.where(Job.kind.in_(sorted(kinds)))
    query = (
        query.order_by(Job.run_after, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).all()


def lock_parked_for_host(
    session: Session, host_id: uuid.UUID, park_codes: Collection[str]
) -> Sequence[Job]:
    return session.scalars(
        select(Job)
        .where(
            Job.host_id == host_id,
            Job.status == JobStatus.PARKED,
            Job.park_code.in_(sorted(park_codes)),
        )
        .with_for_update()
    ).all()


def lock_pending_for_subject(
    session: Session, subject_key: str, kinds: Collection[str] | None
) -> Sequence[Job]:
    query = select(Job).where(
        Job.subject_key == subject_key,
        Job.status.in_([JobStatus.QUEUED, JobStatus.PARKED]),
    )
    if kinds is not None:
        query = query.where(Job.kind.in_(sorted(kinds)))
    return session.scalars(query.with_for_update()).all()


def list_jobs(
    session: Session,
    *,
    status: JobStatus | None = None,
    host_id: uuid.UUID | None = None,
    subject_key: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[Job]:
    query = select(Job)
    if status is not None:
        query = query.where(Job.status == status)
    if host_id is not None:
        query = query.where(Job.host_id == host_id)
    if subject_key is not None:
        query = query.where(Job.subject_key == subject_key)
    if kind is not None:
        query = query.where(Job.kind == kind)
    query = query.order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)
    return session.scalars(query).all()


def list_attempts(session: Session, job_id: uuid.UUID) -> Sequence[JobAttempt]:
    return session.scalars(
        select(JobAttempt)
        .where(JobAttempt.job_id == job_id)
        .order_by(JobAttempt.started_at, JobAttempt.number)
    ).all()


def latest_attempts(session: Session, job_id: uuid.UUID, limit: int) -> Sequence[JobAttempt]:
    """A job's ``limit`` most recent attempts, newest first."""
    return session.scalars(
        select(JobAttempt)
        .where(JobAttempt.job_id == job_id)
        .order_by(JobAttempt.finished_at.desc(), JobAttempt.number.desc())
        .limit(limit)
    ).all()
