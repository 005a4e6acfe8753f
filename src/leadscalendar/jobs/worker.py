"""The worker process: one claimer and N job threads, until told to stop.

Threads suit the work: handlers spend their time waiting on Google, and each
thread holds at most one job, so a stop request is honoured within one job's
run. One claimer thread leases due jobs in batches, one transaction each, and
hands them over: under a backlog that is one claim round trip for many jobs
instead of one per job (the claim was the largest share of a worker's
database time). A heartbeat thread keeps the leases of
claimed jobs alive, which lets the lease be short (a crashed process's jobs
come back quickly) while a slow job keeps its lease. Stopping: in-flight jobs
finish and are recorded; a job claimed but not started (handed over, or
waiting on the pacer) is released for another worker at once.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from types import FrameType

from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.jobs import lifecycle
from leadscalendar.jobs.backoff import RetryPolicy
from leadscalendar.jobs.models import JobStatus
from leadscalendar.jobs.outcomes import ClaimedJob
from leadscalendar.jobs.pacing import Pacer
from leadscalendar.jobs.recorder import OutcomeRecorder
from leadscalendar.jobs.registry import JobRegistry
from leadscalendar.jobs.runner import run_claimed

logger = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 120.0


@dataclass
class WorkerStats:
    """What one ``run_worker`` call did; safe to update from several threads."""

    claimed: int = 0
    succeeded: int = 0
    retried: int = 0
    parked: int = 0
    lease_lost: int = 0
    released: int = 0
    loop_errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, count: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + count)


class _InFlight:
    """The claims this process holds, for the heartbeat."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claims: dict[uuid.UUID, ClaimedJob] = {}

    def add(self, claim: ClaimedJob) -> None:
        with self._lock:
            self._claims[claim.id] = claim

    def discard(self, claim: ClaimedJob) -> None:
        with self._lock:
            self._claims.pop(claim.id, None)

    def snapshot(self) -> list[ClaimedJob]:
        with self._lock:
            return list(self._claims.values())

    def holds(self, claim: ClaimedJob) -> bool:
        with self._lock:
            return self._claims.get(claim.id) is claim


class _Slots:
    """Claimed jobs this process may hold: one running per thread plus as many ready.

    The claimer reserves free slots before claiming. It waits until half the
    threads' worth is free, so under a backlog each claim transaction takes
    a batch of jobs instead of the one that a thread just finished; the ready
    half keeps threads from idling while it does. Held jobs are leased and
    heartbeated, and handed back on stop.
    """

    def __init__(self, concurrency: int) -> None:
        self._free = 2 * concurrency
        self._batch = max(1, concurrency // 2)
        self._changed = threading.Condition()

    def reserve(self, timeout: float) -> int:
        """Wait up to ``timeout`` for a batch of free slots; reserve all free ones, say how many."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._free >= self._batch, timeout):
                return 0
            reserved, self._free = self._free, 0
            return reserved

    def give_back(self, count: int = 1) -> None:
        with self._changed:
            self._free += count
            self._changed.notify()


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(
    session_factory: sessionmaker[Session],
    registry: JobRegistry,
    *,
    concurrency: int,
    poll_interval: float,
    stop_event: threading.Event,
    worker_id: str | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    policy: RetryPolicy | None = None,
    pacer: Pacer | None = None,
    thread_context: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> WorkerStats:
    """Run jobs on ``concurrency`` threads until ``stop_event`` is set; return what was done.

    Blocks. With every job thread idle, the claimer looks for due jobs every
    ``poll_interval / concurrency`` (waking at once on stop). Errors of the
    loops themselves (the database going away) are logged and retried after
    ``poll_interval``; a job they interrupted comes back when its lease expires.
    Each job thread runs inside ``thread_context()`` (per-thread resources
    such as kept-alive connections to Google, closed when the thread ends).
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    worker_id = worker_id or default_worker_id()
    policy = policy or RetryPolicy()
    stats = WorkerStats()
    in_flight = _InFlight()
    logger.info(
        "worker.start worker_id=%s concurrency=%d kinds=%s",
        worker_id,
        concurrency,
        ",".join(sorted(registry.kinds)),
    )

    # Outcomes are committed in batches by one thread (jobs.recorder).
    recorder = OutcomeRecorder(session_factory).start()
    handed_over: queue.SimpleQueue[ClaimedJob | None] = queue.SimpleQueue()
    slots = _Slots(concurrency)
    # Idle, the process looks for due jobs as often as `concurrency` threads
    # polling every `poll_interval` each would, so pickup latency is unchanged.
    idle_poll = poll_interval / concurrency

    def claim_loop() -> None:
        while not stop_event.is_set():
            free = slots.reserve(timeout=poll_interval)
            if not free or stop_event.is_set():
                slots.give_back(free)
                continue
            try:
                claims = lifecycle.claim_due(
                    session_factory, worker_id, free, lease_seconds, kinds=registry.kinds
                )
            except Exception:
                slots.give_back(free)
                stats.add("loop_errors")
                logger.exception("worker.claim_failed worker_id=%s", worker_id)
                stop_event.wait(poll_interval)
                continue
            slots.give_back(free - len(claims))
            for claim in claims:
                stats.add("claimed")
                in_flight.add(claim)
                handed_over.put(claim)
            if len(claims) < free:  # nothing more is due for now
                stop_event.wait(idle_poll)

    def job_loop() -> None:
        with thread_context():
            while (claim := handed_over.get()) is not None:
                try:
                    if stop_event.is_set():
                        _release(claim)
                    else:
                        _run_one(claim)
                except Exception:
                    stats.add("loop_errors")
                    logger.exception("worker.run_failed job_id=%s", claim.id)
                finally:
                    in_flight.discard(claim)
                    slots.give_back()

    def _release(claim: ClaimedJob) -> None:
        if lifecycle.release(session_factory, claim):
            stats.add("released")

    def _run_one(claim: ClaimedJob) -> None:
        if pacer is not None and not _wait_for_permit(pacer, claim, stop_event):
            _release(claim)
            return
        status = run_claimed(
            claim,
            registry,
            session_factory,
            policy=policy,
            lease_seconds=lease_seconds,
            recorder=recorder,
        )
        stats.add(_STAT_FOR_STATUS.get(status, "lease_lost"))

    # Set once every job thread has returned; beating continues until then, so
    # jobs still finishing after a stop request keep their leases.
    threads_done = threading.Event()

    def heartbeat() -> None:
        while not threads_done.wait(lease_seconds / 3):
            _beat()

    def _beat() -> None:
        claims = in_flight.snapshot()
        try:
            owned = lifecycle.extend_leases(session_factory, claims, lease_seconds)
        except Exception:
            logger.exception("worker.heartbeat_failed worker_id=%s", worker_id)
            return
        for claim in claims:
            # A job that finished since the snapshot is no longer running: not a lost lease.
            if claim.id not in owned and in_flight.holds(claim):
                logger.warning("worker.lease_lost job_id=%s", claim.id)

    threads = [
        threading.Thread(target=job_loop, name=f"job-worker-{index}", daemon=True)
        for index in range(concurrency)
    ]
    claimer = threading.Thread(target=claim_loop, name="job-claimer", daemon=True)
    beater = threading.Thread(target=heartbeat, name="job-heartbeat", daemon=True)
    for thread in (*threads, claimer, beater):
        thread.start()
    claimer.join()
    for _ in threads:  # after the claimer: nothing is handed over behind these
        handed_over.put(None)
    for thread in threads:
        thread.join()
    recorder.stop()
    threads_done.set()
    beater.join()
    logger.info("worker.stop worker_id=%s stats=%s", worker_id, stats)
    return stats


_STAT_FOR_STATUS: dict[JobStatus | None, str] = {
    JobStatus.SUCCEEDED: "succeeded",
    JobStatus.QUEUED: "retried",
    JobStatus.PARKED: "parked",
    None: "lease_lost",
}


def _wait_for_permit(pacer: Pacer, claim: ClaimedJob, stop_event: threading.Event) -> bool:
    """Block until the pacer grants a call for the job's host; False if asked to stop first."""
    while (wait := pacer.acquire(claim.host_id)) > 0:
        if stop_event.wait(wait):
            return False
    return not stop_event.is_set()


@contextmanager
def stop_on_signals(
    stop_event: threading.Event,
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT),
) -> Iterator[threading.Event]:
    """Within the block, SIGTERM/SIGINT set ``stop_event`` instead of killing the process.

    Must be entered on the main thread (Python's rule for signal handlers).
    The previous handlers come back on exit, so a second Ctrl-C after the
    worker returned behaves as usual.
    """

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("worker.signal signal=%s stopping", signal.Signals(signum).name)
        stop_event.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in signals}
    try:
        yield stop_event
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
