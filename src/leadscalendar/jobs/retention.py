"""Finished jobs age out, so the queue's tables grow with the work in flight, not with history.

Only what no longer matters goes: succeeded and cancelled jobs (with their
attempts) finished before the cut-off. Queued, running and parked jobs stay,
whatever their age: a parked paid booking waits for a person, never for a
clean-up. A finished job's ``dedupe_key`` goes with it, so the retention must
outlast every redelivery that key guards against (Stripe retries webhooks for
three days; the default keeps thirty).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadscalendar.jobs.models import Job, JobAttempt, JobStatus

FINISHED = (JobStatus.SUCCEEDED, JobStatus.CANCELLED)


def prune_finished(session: Session, *, finished_before: datetime, limit: int) -> int:
    """Delete up to ``limit`` finished jobs older than the cut-off; the count deleted."""
    ids = list(
        session.scalars(
            select(Job.id)
            .where(Job.status.in_(FINISHED), Job.finished_at < finished_before)
            .order_by(Job.finished_at)
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(JobAttempt).where(JobAttempt.job_id.in_(ids)))
        session.execute(delete(Job).where(Job.id.in_(ids)))
    return len(ids)
