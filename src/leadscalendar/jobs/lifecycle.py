"""A job's life once a worker touches it: claim, heartbeat, release, finish.

Claiming, heartbeating and releasing are worker infrastructure and commit their
own short transactions. Finishing (``record_outcome``, ``record_error``) takes
the caller's session and does not commit: the runner commits it together with
the handler's writes.

Finishing queues its log line and metrics on the session (``finished_reports``)
instead of emitting them: the boundary emits them once its commit succeeded,
so an outcome recorded again after a rolled-back batch is reported once.

Every transition after the claim checks that the caller still holds the lease
(``lease_owner`` is unique per claim). A worker that stalled past its lease
finds the job reclaimed and does nothing, so a job's state is never written by
two owners.
"""

from __future__ import annotations

import enum
import logging
import random
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import repository
from leadscalendar.jobs.backoff import RetryPolicy, next_run_after
from leadscalendar.jobs.give_up import give_up_instead
from leadscalendar.jobs.models import (
    ATTEMPTS_EXHAUSTED,
    AttemptOutcome,
    Job,
    JobAttempt,
    JobStatus,
)
from leadscalendar.jobs.outcomes import (
    ClaimedJob,
    Effect,
    Outcome,
    Park,
    Retry,
    Succeeded,
    apply_effects,
    effect_names,
)
from leadscalendar.observability import metrics

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
# The session.info key under which finished attempts wait to be reported.
_FINISHED = "leadscalendar.jobs.finished"
# Core tables: finishing writes them with Core statements, not ORM-enabled ones, whose
# bulk-update machinery cost more CPU than the statements themselves.
_JOBS = cast(Table, Job.__table__)
_ATTEMPTS = cast(Table, JobAttempt.__table__)
# Built once, executed with parameters: building and caching a statement per call
# cost four times what running it does. The SET columns are the parameters' names.
_FINISH_OWNED = update(_JOBS).where(
    _JOBS.c.id == bindparam("claim_id"),
    _JOBS.c.status == JobStatus.RUNNING,
    _JOBS.c.lease_owner == bindparam("claim_owner"),
)
_INSERT_ATTEMPT = insert(_ATTEMPTS)


def claim_due(
    session_factory: sessionmaker[Session],
    worker_id: str,
    limit: int,
    lease_seconds: float,
    *,
    kinds: Collection[str] | None = None,
    now: datetime | None = None,
) -> list[ClaimedJob]:
    """Lease up to ``limit`` due jobs to this worker, in one committed transaction.

    A running job whose lease expired belonged to a worker that died: its try
    is written down as abandoned and the job is claimed again, or parked if
    that was its last attempt. ``kinds`` restricts the claim to the jobs this
    worker has handlers for, so an older worker in a rolling deploy leaves a
    newer kind alone instead of failing it.
    """
    if limit < 1 or (kinds is not None and not kinds):
        return []
    now = now or utcnow()
    claims: list[ClaimedJob] = []
    with unit_of_work(session_factory) as session:
        for job in repository.lock_claimable(session, now=now, limit=limit, kinds=kinds):
            if job.status is JobStatus.RUNNING:
                _write_abandoned(session, job, now)
                # Past max_attempts only a transient failure's slow phase runs a job:
                # a lost worker there says nothing about the work, so it runs again.
                if job.attempts == job.max_attempts:
                    parked = _parked(
                        ATTEMPTS_EXHAUSTED,
                        f"Gave up after {job.attempts} attempts: the last worker stopped "
                        "responding while running it.",
                    )
                    for column, value in parked.values.items():
                        setattr(job, column, value)
                    continue
            job.status = JobStatus.RUNNING
            job.attempts += 1
            job.lease_owner = f"{worker_id}/{uuid.uuid4().hex[:12]}"
            job.lease_expires_at = now + timedelta(seconds=lease_seconds)
            job.claimed_at = now
            claims.append(_snapshot(job))
    # At DEBUG: the job.finished line names the job, its kind and attempt as well,
    # and a line per job claimed was a tenth of a busy worker's logging.
    if not logger.isEnabledFor(logging.DEBUG):
        return claims
    for claim in claims:
        logger.debug(
            "job.claimed job_id=%s kind=%s attempt=%d owner=%s",
            claim.id,
            claim.kind,
            claim.attempt,
            claim.lease_owner,
        )
    return claims


def extend_leases(
    session_factory: sessionmaker[Session],
    claims: Iterable[ClaimedJob],
    lease_seconds: float,
    *,
    now: datetime | None = None,
) -> set[uuid.UUID]:
    """Heartbeat: push the leases still held further out; return the ids still owned."""
    # A fixed order, so two transactions touching the same rows cannot deadlock.
    claims = sorted(claims, key=lambda claim: claim.id)
    if not claims:
        return set()
    expires = (now or utcnow()) + timedelta(seconds=lease_seconds)
    owned: set[uuid.UUID] = set()
    with unit_of_work(session_factory) as session:
        for claim in claims:
            result = session.execute(
                update(Job)
                .where(
                    Job.id == claim.id,
                    Job.status == JobStatus.RUNNING,
                    Job.lease_owner == claim.lease_owner,
                )
                .values(lease_expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                owned.add(claim.id)
    return owned


def release(session_factory: sessionmaker[Session], claim: ClaimedJob) -> bool:
    """Give a claimed, not yet started job back so any worker can take it at once.

    Used when a worker stops before running what it claimed; the attempt it
    was charged is given back because nothing was tried.
    """
    given_back = _Finish(
        {
            "status": JobStatus.QUEUED,
            "attempts": max(claim.attempt - 1, 0),
            "run_after": utcnow(),
        }
        | _NO_LEASE
    )
    with unit_of_work(session_factory) as session:
        if not _finish_owned(session, claim, given_back):
            return False
    logger.info("job.released job_id=%s owner=%s", claim.id, claim.lease_owner)
    return True


def record_outcome(
    session: Session,
    claim: ClaimedJob,
    outcome: Outcome,
    *,
    started_at: datetime,
    latency_ms: int,
    policy: RetryPolicy,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> JobStatus | None:
    """Apply the handler's writes and the job's next state; the caller commits both.

    Returns the job's new status, or ``None`` when the lease was lost, in which
    case nothing, not even the handler's writes, is applied. If an effect
    raises, the caller must roll back and call ``record_error``.
    """
    now = now or utcnow()
    if isinstance(outcome, Succeeded):
        finish = _Finish({"status": JobStatus.SUCCEEDED, "finished_at": now, **_NO_LEASE})
        attempt_outcome, message = AttemptOutcome.SUCCEEDED, _clip(outcome.detail) or None
    elif isinstance(outcome, Park):
        finish = _parked(outcome.code, outcome.reason)
        attempt_outcome, message = AttemptOutcome.PARKED, _clip(outcome.reason)
    else:
        gave_up = give_up_instead(session, claim, outcome)
        if gave_up is not None:
            return record_outcome(
                session,
                claim,
                gave_up,
                started_at=started_at,
                latency_ms=latency_ms,
                policy=policy,
                now=now,
            )
        finish = _retried(claim, outcome, policy=policy, now=now, rng=rng)
        attempt_outcome = finish.parked_instead or AttemptOutcome.RETRY
        message = _clip(outcome.reason)
    if not _finish_owned(session, claim, finish):
        return None
    effects = outcome.effects
    if finish.entered_slow and isinstance(outcome, Retry):
        effects += outcome.on_slow  # once: the attempt that starts the slow phase
    apply_effects(session, effects)
    return _write_attempt(
        session,
        claim,
        finish,
        started_at=started_at,
        finished_at=now,
        operation=outcome.operation,
        http_status=outcome.http_status,
        reason_code=None if isinstance(outcome, Succeeded) else outcome.reason_code,
        outcome=attempt_outcome,
        message=message,
        latency_ms=latency_ms,
        effects=effects,
    )


def record_error(
    session: Session,
    claim: ClaimedJob,
    error: BaseException,
    *,
    started_at: datetime,
    latency_ms: int,
    policy: RetryPolicy,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> JobStatus | None:
    """The handler raised: record the attempt as an error and retry with backoff."""
    now = now or utcnow()
    # The exception's type and text, never its traceback's locals: no secrets in the row.
    message = _clip(f"{type(error).__name__}: {error}")
    finish = _retried(claim, Retry(reason=message), policy=policy, now=now, rng=rng)
    if not _finish_owned(session, claim, finish):
        return None
    return _write_attempt(
        session,
        claim,
        finish,
        started_at=started_at,
        finished_at=now,
        outcome=finish.parked_instead or AttemptOutcome.ERROR,
        message=message,
        latency_ms=latency_ms,
    )


def _write_attempt(
    session: Session,
    claim: ClaimedJob,
    finish: _Finish,
    *,
    latency_ms: int,
    effects: tuple[Effect, ...] = (),
    **fields: Any,
) -> JobStatus:
    """Insert the finished attempt, stamped with the claim it was; queue its report.

    A Core INSERT, not an ORM object: nothing reads the row back in this
    transaction, and the unit of work's flush machinery cost more than the insert.
    """
    session.execute(
        _INSERT_ATTEMPT,
        {
            "job_id": claim.id,
            "number": claim.attempt,
            "lease_owner": claim.lease_owner,
            "latency_ms": latency_ms,
            **fields,
        },
    )
    finished = FinishedAttempt(
        claim,
        finish.status,
        finish.values.get("park_code"),
        fields["outcome"],
        latency_ms,
        effect_names(effects),
    )
    session.info.setdefault(_FINISHED, []).append(finished)
    return finish.status


@dataclass(frozen=True)
class FinishedAttempt:
    """An attempt written in a transaction, to log and count once that transaction commits."""

    claim: ClaimedJob
    status: JobStatus
    park_code: str | None
    outcome: AttemptOutcome
    latency_ms: int
    effects: str = "-"

    def report(self) -> None:
        """The ``job.finished`` line and the attempt's metrics."""
        claim = self.claim
        logger.info(
            "job.finished job_id=%s kind=%s attempt=%d status=%s park_code=%s effects=%s "
            "latency_ms=%d",
            claim.id,
            claim.kind,
            claim.attempt,
            self.status,
            self.park_code,
            self.effects,
            self.latency_ms,
        )
        metrics.job_attempt_finished(
            kind=claim.kind,
            outcome=self.outcome.value,
            status=self.status.value,
            attempt=claim.attempt,
            run_seconds=self.latency_ms / 1000,
            enqueued_at=claim.enqueued_at,
        )


def finished_reports(session: Session) -> list[FinishedAttempt]:
    """Take the attempts finished in ``session`` so far; report them after the commit."""
    taken: list[FinishedAttempt] = session.info.pop(_FINISHED, [])
    return taken


_NO_LEASE: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None, "claimed_at": None}


@dataclass(frozen=True)
class _Finish:
    """A finished attempt's new job state, as the column values one UPDATE writes."""

    values: dict[str, Any]
    # Set when a retry was asked for but the attempts ran out.
    parked_instead: AttemptOutcome | None = None
    # Set by the retry that moves a transient failure from the fast to the slow phase.
    entered_slow: bool = False

    @property
    def status(self) -> JobStatus:
        status: JobStatus = self.values["status"]
        return status


def _parked(code: enum.StrEnum, reason: str, **values: Any) -> _Finish:
    return _Finish(
        {"status": JobStatus.PARKED, "park_code": code, "park_reason": _clip(reason)}
        | values
        | _NO_LEASE
    )


def _retried(
    claim: ClaimedJob,
    retry: Retry,
    *,
    policy: RetryPolicy,
    now: datetime,
    rng: random.Random | None,
) -> _Finish:
    spent = claim.attempt >= claim.max_attempts
    if spent and not retry.transient:
        parked = _parked(
            ATTEMPTS_EXHAUSTED,
            f"Gave up after {claim.attempt} attempts; the last one said: {retry.reason}",
            last_error=retry.reason,
        )
        return _Finish(parked.values, parked_instead=AttemptOutcome.PARKED)
    # A transient failure past its attempts has no final give-up: only time fixes it,
    # and the work must happen when it does. Slowly, so a long outage costs little.
    run_after = next_run_after(
        policy,
        claim.attempt,
        now,
        retry_after=retry.retry_after,
        not_before=retry.not_before,
        rng=rng,
        slow=spent,
    )
    return _Finish(
        {"status": JobStatus.QUEUED, "run_after": run_after, "last_error": retry.reason}
        | _NO_LEASE,
        entered_slow=spent and claim.attempt == claim.max_attempts,
    )


def _finish_owned(session: Session, claim: ClaimedJob, finish: _Finish) -> bool:
    """Write the job's next state if this claim still holds it; False if the lease was lost.

    One UPDATE guarded by the lease, which also locks the row until commit:
    the handler's writes that follow are applied only by the lease's owner.
    (A SELECT … FOR UPDATE, then the ORM's UPDATE, cost a round trip and most
    of the CPU of recording an outcome.)
    """
    result = session.execute(
        _FINISH_OWNED,
        {"claim_id": claim.id, "claim_owner": claim.lease_owner, **finish.values},
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return True
    job = session.get(Job, claim.id)
    logger.warning(
        "job.lease_lost job_id=%s owner=%s current_owner=%s status=%s",
        claim.id,
        claim.lease_owner,
        job.lease_owner if job else None,
        job.status if job else "deleted",
    )
    return False


def _write_abandoned(session: Session, job: Job, now: datetime) -> None:
    logger.warning(
        "job.lease_expired job_id=%s kind=%s owner=%s", job.id, job.kind, job.lease_owner
    )
    metrics.JOB_ATTEMPTS.labels(job.kind, AttemptOutcome.ABANDONED.value).inc()
    session.add(
        JobAttempt(
            job_id=job.id,
            number=job.attempts,
            lease_owner=job.lease_owner,
            started_at=job.claimed_at or now,
            finished_at=now,
            outcome=AttemptOutcome.ABANDONED,
            message="The worker stopped responding before it finished (its lease expired).",
            latency_ms=0,
        )
    )


def _snapshot(job: Job) -> ClaimedJob:
    assert job.lease_owner is not None and job.lease_expires_at is not None
    return ClaimedJob(
        id=job.id,
        kind=job.kind,
        payload=dict(job.payload),
        subject_key=job.subject_key,
        host_id=job.host_id,
        attempt=job.attempts,
        max_attempts=job.max_attempts,
        lease_owner=job.lease_owner,
        lease_expires_at=job.lease_expires_at,
        enqueued_at=job.created_at,
    )


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"
