"""The jobs domain's operations for the rest of the application.

None of these commit: they run in the caller's transaction (DESIGN convention
2), which is what makes the outbox an outbox: a job enqueued next to a booking
change exists if and only if that change commits.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadscalendar.db.base import utcnow
from leadscalendar.db.inserts import insert_all_unless_exist
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.jobs import repository
from leadscalendar.jobs.errors import JobNotFoundError, JobStateError
from leadscalendar.jobs.models import Job, JobAttempt, JobStatus

DEFAULT_MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class JobHistory:
    job: Job
    attempts: Sequence[JobAttempt]


def enqueue(
    session: Session,
    kind: str,
    payload: Mapping[str, Any],
    *,
    subject_key: str,
    host_id: uuid.UUID | None,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Add a job to the caller's transaction; with ``dedupe_key``, at most one such job ever.

    When a job with the same ``dedupe_key`` exists (or a concurrent transaction
    commits one first), that job is returned and nothing is added, so a
    redelivered webhook cannot schedule the same work twice.
    """
    if max_attempts < 1:
        raise LeadsCalendarError("max_attempts must be at least 1.")
    if run_after is not None and run_after.tzinfo is None:
        raise LeadsCalendarError("run_after must be timezone-aware.")
    # Fail here, at the caller's line, rather than at a distant flush.
    json.dumps(payload)
    job = Job(
        kind=kind,
        payload=dict(payload),
        subject_key=subject_key,
        host_id=host_id,
        dedupe_key=dedupe_key,
        status=JobStatus.QUEUED,
        attempts=0,
        max_attempts=max_attempts,
        run_after=run_after or utcnow(),
    )
    if dedupe_key is None:
        session.add(job)
        session.flush()
        return job
    try:
        # No SELECT first: a duplicate is the exception (the webhook that enqueues
        # the event job has been deduplicated already), so the unique index
        # decides, in a savepoint so that losing does not poison the caller's
        # transaction - whether to an earlier job or to a concurrent enqueuer.
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        existing = repository.get_job_by_dedupe_key(session, dedupe_key)
        if existing is None:
            raise
        return existing
    return job


@dataclass(frozen=True)
class NewJob:
    """One job for ``enqueue_all``: the arguments ``enqueue`` takes, as a value."""

    kind: str
    payload: Mapping[str, Any]
    subject_key: str
    host_id: uuid.UUID | None
    dedupe_key: str | None = None
    run_after: datetime | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


def enqueue_all(session: Session, jobs: Sequence[NewJob]) -> None:
    """Add several jobs to the caller's transaction in one statement; known dedupe keys skip.

    For a change that calls for several jobs at once (a paid booking: its
    calendar event and its mails), on a hot path: one executemany with
    ``ON CONFLICT DO NOTHING`` instead of a savepoint, an ORM flush and a
    release per job. Unlike ``enqueue`` it returns nothing: a job whose
    ``dedupe_key`` exists already (or is committed first by a concurrent
    transaction) is simply not added, and the earlier one stands.
    """
    now = utcnow()
    rows = [_row(job, now) for job in jobs]
    insert_all_unless_exist(session, Job, rows, ("dedupe_key",))


def record_done_all(session: Session, jobs: Sequence[NewJob]) -> None:
    """Record work already done outside the queue as jobs born succeeded, in one statement.

    For a handler that did several jobs' work itself (a paid booking's mails,
    sent by its ``booking_mails`` job in one go): the rows keep what a queued
    job would have left behind (its dedupe key, so nobody queues the same work
    again; its payload for exports and audits) without a claim and an outcome
    of their own. A known dedupe key skips, as in ``enqueue_all``.
    """
    now = utcnow()
    rows = [
        {**_row(job, now), "status": JobStatus.SUCCEEDED, "attempts": 1, "finished_at": now}
        for job in jobs
    ]
    insert_all_unless_exist(session, Job, rows, ("dedupe_key",))


def _row(job: NewJob, now: datetime) -> dict[str, Any]:
    if job.max_attempts < 1:
        raise LeadsCalendarError("max_attempts must be at least 1.")
    if job.run_after is not None and job.run_after.tzinfo is None:
        raise LeadsCalendarError("run_after must be timezone-aware.")
    # Fail here, at the caller's line, rather than inside the driver.
    json.dumps(job.payload)
    return {
        "id": uuid.uuid4(),
        "kind": job.kind,
        "payload": dict(job.payload),
        "subject_key": job.subject_key,
        "host_id": job.host_id,
        "dedupe_key": job.dedupe_key,
        "status": JobStatus.QUEUED,
        "attempts": 0,
        "max_attempts": job.max_attempts,
        "run_after": job.run_after or now,
        "created_at": now,
        "updated_at": now,
    }


def resume_parked(session: Session, *, host_id: uuid.UUID, park_codes: Collection[str]) -> int:
    """Requeue a host's jobs parked for ``park_codes``, due now; return how many.

    Called when the host fixes the cause (reconnects Google: ``needs_reauth``;
    picks another calendar: ``calendar_gone``). Attempts start again from zero:
    the failures were the host's problem, now solved, and the new tries deserve
    the full budget; every earlier attempt stays in ``job_attempts``.
    """
    jobs = repository.lock_parked_for_host(session, host_id, park_codes)
    now = utcnow()
    for job in jobs:
        _requeue(job, now)
    session.flush()
    return len(jobs)


def retry_job(session: Session, job_id: uuid.UUID) -> Job:
    """Operator action: run a parked (or waiting) job now, with a fresh attempt budget."""
    job = repository.lock_job(session, job_id)
    if job is None:
        raise JobNotFoundError(f"No job {job_id}.")
    if job.status not in (JobStatus.PARKED, JobStatus.QUEUED):
        raise JobStateError(f"Job {job_id} is {job.status}; only parked or queued jobs retry.")
    _requeue(job, utcnow())
    session.flush()
    return job


def cancel_job(session: Session, job_id: uuid.UUID) -> Job:
    """Stop a queued or parked job for good (kept, marked cancelled)."""
    job = repository.lock_job(session, job_id)
    if job is None:
        raise JobNotFoundError(f"No job {job_id}.")
    if job.status not in (JobStatus.PARKED, JobStatus.QUEUED):
        raise JobStateError(f"Job {job_id} is {job.status}; only queued or parked jobs cancel.")
    _cancel(job, utcnow())
    session.flush()
    return job


def cancel_pending_for_subject(
    session: Session,
    subject_key: str,
    *,
    kinds: Collection[str] | None = None,
    only: Callable[[Job], bool] | None = None,
) -> int:
    """Cancel a subject's queued and parked jobs (e.g. a cancelled booking's); return how many.

    ``only`` narrows by payload (say, the mails to one recipient). A running
    job is left alone: its handler must re-read the subject before writing,
    which is why handlers apply their writes in a fresh transaction.
    """
    jobs = repository.lock_pending_for_subject(session, subject_key, kinds)
    if only is not None:
        jobs = [job for job in jobs if only(job)]
    now = utcnow()
    for job in jobs:
        _cancel(job, now)
    session.flush()
    return len(jobs)


def list_jobs(
    session: Session,
    *,
    status: JobStatus | None = None,
    host_id: uuid.UUID | None = None,
    subject_key: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Job]:
    """Jobs, newest first, filtered; for the dashboard and ``leadscalendar jobs list``."""
    limit = max(1, min(limit, 500))
    return list(
        repository.list_jobs(
            session,
            status=status,
            host_id=host_id,
            subject_key=subject_key,
            kind=kind,
            limit=limit,
            offset=max(offset, 0),
        )
    )


def get_job_with_attempts(session: Session, job_id: uuid.UUID) -> JobHistory:
    """A job and every attempt at it, oldest first."""
    job = repository.get_job(session, job_id)
    if job is None:
        raise JobNotFoundError(f"No job {job_id}.")
    return JobHistory(job=job, attempts=repository.list_attempts(session, job_id))


def _requeue(job: Job, now: datetime) -> None:
    job.status = JobStatus.QUEUED
    job.run_after = now
    job.attempts = 0
    job.park_code = None
    job.park_reason = None
    job.finished_at = None


def _cancel(job: Job, now: datetime) -> None:
    job.status = JobStatus.CANCELLED
    job.finished_at = now
