"""The daily clean-up: history tables stay the size of the work in flight.

One ``prune_history`` job a day (03:00 UTC) deletes finished jobs older than
``JOBS_RETENTION_DAYS``, stored idempotent answers older than
``IDEMPOTENCY_RETENTION_HOURS`` and finished outbound webhook deliveries (with
their attempts and messages) older than ``WEBHOOKS_RETENTION_DAYS``, at most
``BATCH`` rows of each per run so no
transaction grows with the backlog; a run that hit the batch size plans the
next one a minute later. Every worker plans the next run at start, under one
dedupe key per run time, so however many workers there are, one job runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import ClassVar

from sqlalchemy.orm import Session

from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.idempotency import service as idempotency
from leadscalendar.jobs import JobContext, JobRegistry, Outcome, Succeeded, enqueue
from leadscalendar.jobs.retention import prune_finished
from leadscalendar.webhooks_out import retention as webhooks_retention

logger = logging.getLogger(__name__)

PRUNE_HISTORY = "prune_history"
BATCH = 5000
# Quiet hours for most hosts in Europe and the Americas.
RUN_AT = time(3, 0, tzinfo=UTC)
SOON = timedelta(minutes=1)


def next_run(now: datetime) -> datetime:
    """The next 03:00 UTC strictly after ``now``."""
    today = datetime.combine(now.astimezone(UTC).date(), RUN_AT)
    return today if today > now else today + timedelta(days=1)


def plan_prune(session: Session, now: datetime, *, at: datetime | None = None) -> None:
    """Make sure a clean-up is planned (at most one job per run time)."""
    when = at or next_run(now)
    enqueue(
        session,
        PRUNE_HISTORY,
        {},
        subject_key="maintenance:prune_history",
        host_id=None,
        dedupe_key=f"{PRUNE_HISTORY}:{when.isoformat()}",
        run_after=when,
    )


@dataclass(frozen=True)
class RetentionPolicy:
    jobs_days: int
    idempotency_hours: int
    webhooks_days: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(
            settings.jobs_retention_days,
            settings.idempotency_retention_hours,
            settings.webhooks_retention_days,
        )

    def prune(self, session: Session, now: datetime) -> tuple[int, int, int]:
        """(jobs, idempotent answers, webhook deliveries or messages) deleted, each at most
        ``BATCH``; 0 days/hours keeps all."""
        jobs = keys = webhooks = 0
        if self.jobs_days > 0:
            cutoff = now - timedelta(days=self.jobs_days)
            jobs = prune_finished(session, finished_before=cutoff, limit=BATCH)
        if self.idempotency_hours > 0:
            cutoff = now - timedelta(hours=self.idempotency_hours)
            keys = idempotency.prune(session, created_before=cutoff, limit=BATCH)
        if self.webhooks_days > 0:
            cutoff = now - timedelta(days=self.webhooks_days)
            webhooks = webhooks_retention.prune_finished(
                session, finished_before=cutoff, limit=BATCH
            )
        return jobs, keys, webhooks


def prune_history(ctx: JobContext, policy: RetentionPolicy) -> Outcome:
    """Prune in the job's outcome transaction, then plan the next run."""
    return Succeeded(detail="history pruned", effects=(PruneHistory(policy),))


@dataclass(frozen=True)
class PruneHistory:
    """One batch of pruning per table, and the next run (soon, if a batch was full)."""

    name: ClassVar[str] = "retention.prune"
    policy: RetentionPolicy

    def apply(self, session: Session) -> None:
        now = utcnow()
        jobs, keys, webhooks = self.policy.prune(session, now)
        logger.info(
            "pruned %d finished jobs, %d idempotent answers, %d webhook deliveries/messages",
            jobs,
            keys,
            webhooks,
        )
        more = BATCH in (jobs, keys, webhooks)
        plan_prune(session, now, at=now + SOON if more else None)


def register_retention_tasks(registry: JobRegistry, settings: Settings) -> JobRegistry:
    policy = RetentionPolicy.from_settings(settings)
    registry.register(PRUNE_HISTORY, lambda ctx: prune_history(ctx, policy))
    return registry
