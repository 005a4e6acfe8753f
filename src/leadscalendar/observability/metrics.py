"""The instruments every process records into, by name, with bounded labels only.

Labels are closed vocabularies (job kinds, Google methods, outcomes, mail
templates), never ids: a host or booking id per series would grow without
bound. Instruments are created at import, as ``prometheus_client`` wants, so
the multiprocess switch (``PROMETHEUS_MULTIPROC_DIR``) must be in the
environment before the process starts; then each process writes its samples
to a file there and the scraping process sums them.

Recording is a few microseconds (an add under a lock, or an mmap write in
multiprocess mode), so the hooks sit directly on the hot paths.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram

PREFIX = "leadscalendar"

# Seconds: from a local sandbox's millisecond to a slow Google call or webhook transaction.
_FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Enqueue to finish: immediate work, backoffs, and jobs planned ahead (reminders).
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 86400.0)
_ATTEMPT_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 20)

JOB_ATTEMPTS = Counter(
    f"{PREFIX}_job_attempts",
    "Job attempts finished, by job kind and attempt outcome "
    "(succeeded, retry, parked, error, abandoned).",
    ["kind", "outcome"],
)
JOB_RUN_SECONDS = Histogram(
    f"{PREFIX}_job_run_seconds",
    "Time one attempt took: the handler and recording its outcome.",
    ["kind"],
    buckets=_FAST_BUCKETS,
)
JOB_LATENCY_SECONDS = Histogram(
    f"{PREFIX}_job_latency_seconds",
    "From enqueue to the job's final state (succeeded or parked), retries included.",
    ["kind", "status"],
    buckets=_LATENCY_BUCKETS,
)
JOB_ATTEMPTS_USED = Histogram(
    f"{PREFIX}_job_attempts_used",
    "Attempts a job took to reach its final state (succeeded or parked).",
    ["kind", "status"],
    buckets=_ATTEMPT_BUCKETS,
)
GOOGLE_CALLS = Counter(
    f"{PREFIX}_google_calls",
    "Calls to Google Calendar, by method, outcome (ok or the classified action) and "
    "Google's error reason (a known reason, 'other' or 'none').",
    ["method", "outcome", "reason"],
)
GOOGLE_CALL_SECONDS = Histogram(
    f"{PREFIX}_google_call_seconds",
    "Duration of calls to Google Calendar, by method.",
    ["method"],
    buckets=_FAST_BUCKETS,
)
# The largest over live processes: with Redis (LEADSCALENDAR_REDIS_URL) every process
# reads the same shared count, so a sum would count each call once per process.
GOOGLE_QUOTA_TOKENS_IN_USE = Gauge(
    f"{PREFIX}_google_quota_tokens_in_use",
    "Google calls counted in the project's quota window (the last minute) by the pacer.",
    ["scope"],
    multiprocess_mode="livemax",
)
WEBHOOK_INTAKE_SECONDS = Histogram(
    f"{PREFIX}_webhook_intake_seconds",
    "Payment webhook intake, from reading the body to the committed record, by result.",
    ["provider", "result"],
    buckets=_FAST_BUCKETS,
)
MAILS = Counter(
    f"{PREFIX}_mails",
    "Mails handled by the send_email job, by template and result "
    "(sent, recorded, stale, temporary_failure, rejected, invalid).",
    ["template", "result"],
)

_FINAL_STATUSES = frozenset({"succeeded", "parked"})


def job_attempt_finished(
    *,
    kind: str,
    outcome: str,
    status: str,
    attempt: int,
    run_seconds: float,
    enqueued_at: datetime | None,
) -> None:
    """One attempt recorded; a job that reached a final state also counts its whole wait."""
    JOB_ATTEMPTS.labels(kind, outcome).inc()
    JOB_RUN_SECONDS.labels(kind).observe(run_seconds)
    if status not in _FINAL_STATUSES:
        return
    JOB_ATTEMPTS_USED.labels(kind, status).observe(attempt)
    if enqueued_at is not None:
        latency = (datetime.now(UTC) - enqueued_at).total_seconds()
        JOB_LATENCY_SECONDS.labels(kind, status).observe(max(latency, 0.0))


def mail_handled(template: str, result: str) -> None:
    MAILS.labels(template, result).inc()


@dataclass
class Intake:
    """What the intake block sets: its result (``new``, ``duplicate``); ``failed`` if it raises."""

    result: str = "failed"


@contextmanager
def webhook_intake(provider: str, started: float) -> Iterator[Intake]:
    """Time a webhook from ``started`` (``time.perf_counter()``) to the end of the block."""
    intake = Intake()
    try:
        yield intake
    finally:
        WEBHOOK_INTAKE_SECONDS.labels(provider, intake.result).observe(
            time.perf_counter() - started
        )


@contextmanager
def quota_readings(
    tokens_in_use: Callable[[], float], stop: threading.Event, interval: float = 1.0
) -> Iterator[None]:
    """Copy the pacer's reading into the quota gauge every ``interval`` until the block ends.

    A thread, not a callback at scrape time: the scrape may happen in another
    process (multiprocess mode), which cannot ask this process's pacer.
    """
    done = threading.Event()
    gauge = GOOGLE_QUOTA_TOKENS_IN_USE.labels("project")

    def update() -> None:
        while True:
            gauge.set(tokens_in_use())
            if done.wait(interval) or stop.is_set():
                gauge.set(0.0)
                return

    thread = threading.Thread(target=update, name="metrics-quota", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
