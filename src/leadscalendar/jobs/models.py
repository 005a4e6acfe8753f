"""The outbox: one row per unit of deferred work, and one row per attempt at it.

Jobs live in the same database as bookings and are written in the caller's
transaction, so "booking paid" and "create its calendar event" commit or vanish
together (DESIGN invariant 2). Rows are never deleted by the job machinery: a
parked job waits, visibly, for a person.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# Jobs point at hosts: the Host table must be in the metadata whenever jobs are,
# or a process that imports only the jobs package cannot flush a job.
from leadscalendar.accounts.models import Host as _Host  # noqa: F401
from leadscalendar.db.base import Base, IdMixin, TimestampMixin, str_enum


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    # Waiting for a person (host reconnects, operator retries); never dropped.
    PARKED = "parked"
    CANCELLED = "cancelled"


class AttemptOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    PARKED = "parked"
    # The handler raised something it did not expect; treated as a retry.
    ERROR = "error"
    # The worker holding the lease vanished (crash, kill -9); found when reclaiming.
    ABANDONED = "abandoned"


class JobParkCode(enum.StrEnum):
    """The park codes of the job machinery itself.

    The column is a plain string: each domain declares its own codes as a
    ``StrEnum`` (``bookings.park_codes.ParkCode``, ``notifications.tasks.MailParkCode``...)
    without a migration, and the queue knows none of their words.
    """

    # A job that kept failing until its attempts ran out.
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"


ATTEMPTS_EXHAUSTED = JobParkCode.ATTEMPTS_EXHAUSTED


class Job(IdMixin, TimestampMixin, Base):
    __tablename__ = "jobs"
    # The claim query filters on status and orders by due time.
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the job is about (a booking id): a booking's whole history is one query.
    subject_key: Mapped[str] = mapped_column(String(200), index=True)
    host_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), index=True
    )
    # Enqueueing the same logical job twice (a redelivered webhook) yields one row.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    # Incremented when a worker claims the job, so a job that crashes its worker
    # every time still runs out of attempts instead of looping for ever.
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    run_after: Mapped[datetime]
    # Unique per claim ("worker-id/claim-token"), so a worker that lost its lease
    # and got the job again by chance still cannot finish the older claim.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    park_code: Mapped[str | None] = mapped_column(String(64))
    # Shown to hosts and operators: say what to do, not only what broke.
    park_reason: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class JobAttempt(IdMixin, Base):
    """One try at a job, kept for ever so a host can read a booking's story."""

    __tablename__ = "job_attempts"

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    # The remote call the attempt was about, e.g. "events.insert".
    operation: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[AttemptOutcome] = mapped_column(str_enum(AttemptOutcome))
    http_status: Mapped[int | None]
    # The remote side's short word for the failure (an API's error reason, e.g.
    # "rateLimitExceeded"): tells the same failure twice apart from two failures.
    reason_code: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(default=0)
