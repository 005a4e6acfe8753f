"""Durable jobs: the transactional outbox, leases, retries with backoff, parking, the worker.

Enqueue with ``service.enqueue`` in the same transaction as the change that
calls for the work; ``worker.run_worker`` does it, at least once, later.
"""

from leadscalendar.jobs.backoff import RetryPolicy
from leadscalendar.jobs.lifecycle import claim_due, extend_leases, release
from leadscalendar.jobs.models import (
    ATTEMPTS_EXHAUSTED,
    AttemptOutcome,
    Job,
    JobAttempt,
    JobParkCode,
    JobStatus,
)
from leadscalendar.jobs.outcomes import (
    ClaimedJob,
    Effect,
    Outcome,
    Park,
    Retry,
    Succeeded,
    with_effects,
)
from leadscalendar.jobs.pacing import FallbackPacer, Pacer, QuotaPacer, Quotas
from leadscalendar.jobs.registry import Handler, JobContext, JobRegistry
from leadscalendar.jobs.service import (
    JobHistory,
    NewJob,
    cancel_job,
    cancel_pending_for_subject,
    enqueue,
    enqueue_all,
    get_job_with_attempts,
    list_jobs,
    record_done_all,
    resume_parked,
    retry_job,
)
from leadscalendar.jobs.worker import Worker, run_worker, stop_on_signals
from leadscalendar.jobs.worker_state import WorkerStats

__all__ = [
    "ATTEMPTS_EXHAUSTED",
    "AttemptOutcome",
    "ClaimedJob",
    "Effect",
    "FallbackPacer",
    "Handler",
    "Job",
    "JobAttempt",
    "JobContext",
    "JobHistory",
    "JobParkCode",
    "JobRegistry",
    "JobStatus",
    "NewJob",
    "Outcome",
    "Pacer",
    "Park",
    "QuotaPacer",
    "Quotas",
    "Retry",
    "RetryPolicy",
    "Succeeded",
    "Worker",
    "WorkerStats",
    "cancel_job",
    "cancel_pending_for_subject",
    "claim_due",
    "enqueue",
    "enqueue_all",
    "extend_leases",
    "get_job_with_attempts",
    "list_jobs",
    "record_done_all",
    "release",
    "resume_parked",
    "retry_job",
    "run_worker",
    "stop_on_signals",
    "with_effects",
]
