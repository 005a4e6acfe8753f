"""Run one claimed job: call its handler, then commit its writes with its new state.

This is the worker's boundary (DESIGN convention 2): the only place job
outcomes are committed.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import lifecycle
from leadscalendar.jobs.backoff import RetryPolicy
from leadscalendar.jobs.models import JobStatus
from leadscalendar.jobs.outcomes import ClaimedJob, Park, Retry, Succeeded
from leadscalendar.jobs.registry import JobContext, JobRegistry
from leadscalendar.logging import log_context

logger = logging.getLogger(__name__)


def run_claimed(
    claim: ClaimedJob,
    registry: JobRegistry,
    session_factory: sessionmaker[Session],
    *,
    policy: RetryPolicy,
    lease_seconds: float,
) -> JobStatus | None:
    """Run ``claim`` to a recorded outcome; return the job's new status (None: lease lost).

    Every line logged meanwhile carries the job's id, kind and subject (``booking_id``...).
    """
    fields = registry.subject_fields(claim.subject_key)
    with log_context(job_id=str(claim.id), job_kind=claim.kind, **fields):
        return _run_claimed(
            claim, registry, session_factory, policy=policy, lease_seconds=lease_seconds
        )


def _run_claimed(
    claim: ClaimedJob,
    registry: JobRegistry,
    session_factory: sessionmaker[Session],
    *,
    policy: RetryPolicy,
    lease_seconds: float,
) -> JobStatus | None:
    """The attempt itself.

    A handler that raises, returns something that is not an outcome, or whose
    ``apply`` raises, has its writes rolled back and the attempt recorded as an
    error, which retries with backoff until the job's attempts run out.
    """
    started_at = utcnow()
    started = time.perf_counter()
    failure: BaseException
    try:
        outcome = registry.get(claim.kind)(
            JobContext(job=claim, session_factory=session_factory, lease_seconds=lease_seconds)
        )
        if not isinstance(outcome, Succeeded | Retry | Park):
            raise TypeError(f"handler returned {type(outcome).__name__}, not an outcome")
    except Exception as exc:
        failure = exc
        logger.warning(
            "job.handler_raised job_id=%s kind=%s error=%s",
            claim.id,
            claim.kind,
            type(exc).__name__,
            exc_info=True,
        )
    else:
        latency_ms = _elapsed_ms(started)
        try:
            with unit_of_work(session_factory) as session:
                return lifecycle.record_outcome(
                    session,
                    claim,
                    outcome,
                    started_at=started_at,
                    latency_ms=latency_ms,
                    policy=policy,
                )
        except Exception as exc:
            failure = exc
            logger.warning(
                "job.apply_failed job_id=%s kind=%s error=%s",
                claim.id,
                claim.kind,
                type(exc).__name__,
                exc_info=True,
            )
    with unit_of_work(session_factory) as session:
        return lifecycle.record_error(
            session,
            claim,
            failure,
            started_at=started_at,
            latency_ms=_elapsed_ms(started),
            policy=policy,
        )


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
