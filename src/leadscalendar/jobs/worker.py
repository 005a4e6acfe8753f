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

``Worker`` holds the parts (``claim_loop``, ``job_loop``, ``heartbeat``,
``stop``), each usable on its own in a test; ``run`` starts them on threads.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import FrameType

from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.jobs import lifecycle
from leadscalendar.jobs.backoff import RetryPolicy
from leadscalendar.jobs.models import JobStatus
from leadscalendar.jobs.outcomes import ClaimedJob
from leadscalendar.jobs.pacing import Pacer
from leadscalendar.jobs.registry import JobRegistry
from leadscalendar.jobs.runner import run_claimed
from leadscalendar.jobs.worker_state import InFlight, Slots, WorkerStats

logger = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 120.0

_STAT_FOR_STATUS: dict[JobStatus | None, str] = {
    JobStatus.SUCCEEDED: "succeeded",
    JobStatus.QUEUED: "retried",
    JobStatus.PARKED: "parked",
    None: "lease_lost",
}


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Runs jobs on ``concurrency`` threads until ``stop()``; ``stats`` says what was done.

    With every job thread idle, the claimer looks for due jobs every
    ``poll_interval / concurrency`` (waking at once on stop). Errors of the
    loops themselves (the database going away) are logged and retried after
    ``poll_interval``; a job they interrupted comes back when its lease expires.
    Each job thread runs inside ``thread_context()`` (per-thread resources
    such as kept-alive connections to Google, closed when the thread ends).
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        registry: JobRegistry,
        *,
        concurrency: int,
        poll_interval: float,
        stop_event: threading.Event | None = None,
        worker_id: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        paced_kinds: Collection[str] | None = None,
        thread_context: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.session_factory = session_factory
        self.registry = registry
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.stop_event = stop_event or threading.Event()
        self.worker_id = worker_id or default_worker_id()
        self.lease_seconds = lease_seconds
        self.policy = policy or RetryPolicy()
        self.pacer = pacer
        # The kinds that spend the quota the pacer guards (None: every kind).
        self.paced_kinds = None if paced_kinds is None else frozenset(paced_kinds)
        self.thread_context = thread_context
        self.stats = WorkerStats()
        self.in_flight = InFlight()
        # Claims on their way to a job thread; None tells one thread to end.
        self.handed_over: queue.SimpleQueue[ClaimedJob | None] = queue.SimpleQueue()
        self.slots = Slots(concurrency)
        # Set once every job thread has returned; beating continues until then, so
        # jobs still finishing after a stop request keep their leases.
        self.threads_done = threading.Event()

    def stop(self) -> None:
        """Ask every loop to finish: running jobs end and are recorded, waiting ones released."""
        self.stop_event.set()

    def run(self) -> WorkerStats:
        """Start the claimer, the job threads and the heartbeat; block until stopped."""
        logger.info(
            "worker.start worker_id=%s concurrency=%d kinds=%s",
            self.worker_id,
            self.concurrency,
            ",".join(sorted(self.registry.kinds)),
        )
        threads = [
            threading.Thread(target=self.job_loop, name=f"job-worker-{index}", daemon=True)
            for index in range(self.concurrency)
        ]
        claimer = threading.Thread(target=self.claim_loop, name="job-claimer", daemon=True)
        beater = threading.Thread(target=self.heartbeat, name="job-heartbeat", daemon=True)
        for thread in (*threads, claimer, beater):
            thread.start()
        claimer.join()
        for _ in threads:  # after the claimer: nothing is handed over behind these
            self.handed_over.put(None)
        for thread in threads:
            thread.join()
        self.threads_done.set()
        beater.join()
        logger.info("worker.stop worker_id=%s stats=%s", self.worker_id, self.stats)
        return self.stats

    # -- the claimer ----------------------------------------------------------------

    def claim_loop(self) -> None:
        """Lease due jobs in batches and hand them over, until stopped."""
        # Idle, the process looks for due jobs as often as `concurrency` threads
        # polling every `poll_interval` each would, so pickup latency is unchanged.
        idle_poll = self.poll_interval / self.concurrency
        while not self.stop_event.is_set():
            free = self.slots.reserve(timeout=self.poll_interval)
            if not free or self.stop_event.is_set():
                self.slots.give_back(free)
                continue
            claimed = self.claim_batch(free)
            if claimed is None:
                self.stop_event.wait(self.poll_interval)
            elif claimed < free:  # nothing more is due for now
                self.stop_event.wait(idle_poll)

    def claim_batch(self, free: int) -> int | None:
        """Claim up to ``free`` due jobs and hand them over; None if the claim failed."""
        try:
            claims = lifecycle.claim_due(
                self.session_factory,
                self.worker_id,
                free,
                self.lease_seconds,
                kinds=self.registry.kinds,
            )
        except Exception:
            self.slots.give_back(free)
            self.stats.add("loop_errors")
            logger.exception("worker.claim_failed worker_id=%s", self.worker_id)
            return None
        self.slots.give_back(free - len(claims))
        for claim in claims:
            self.stats.add("claimed")
            self.in_flight.add(claim)
            self.handed_over.put(claim)
        return len(claims)

    # -- the job threads ------------------------------------------------------------

    def job_loop(self) -> None:
        """Run handed-over jobs one at a time until handed None."""
        with self.thread_context():
            while (claim := self.handed_over.get()) is not None:
                try:
                    if self.stop_event.is_set():
                        self.release(claim)
                    else:
                        self.run_one(claim)
                except Exception:
                    self.stats.add("loop_errors")
                    logger.exception("worker.run_failed job_id=%s", claim.id)
                finally:
                    self.in_flight.discard(claim)
                    self.slots.give_back()

    def run_one(self, claim: ClaimedJob) -> None:
        """Wait for the pacer, run the job, record the outcome (or release it on stop)."""
        if self.paced(claim) and not self.wait_for_permit(claim):
            self.release(claim)
            return
        status = run_claimed(
            claim,
            self.registry,
            self.session_factory,
            policy=self.policy,
            lease_seconds=self.lease_seconds,
        )
        self.stats.add(_STAT_FOR_STATUS.get(status, "lease_lost"))

    def paced(self, claim: ClaimedJob) -> bool:
        if self.pacer is None:
            return False
        return self.paced_kinds is None or claim.kind in self.paced_kinds

    def wait_for_permit(self, claim: ClaimedJob) -> bool:
        """Block until the pacer grants a call for the job's host; False if asked to stop first."""
        assert self.pacer is not None
        while (wait := self.pacer.acquire(claim.host_id)) > 0:
            if self.stop_event.wait(wait):
                return False
        return not self.stop_event.is_set()

    def release(self, claim: ClaimedJob) -> None:
        if lifecycle.release(self.session_factory, claim):
            self.stats.add("released")

    # -- the heartbeat --------------------------------------------------------------

    def heartbeat(self) -> None:
        """Extend the leases of held jobs every third of a lease, until the job threads end."""
        while not self.threads_done.wait(self.lease_seconds / 3):
            self.beat()

    def beat(self) -> None:
        claims = self.in_flight.snapshot()
        try:
            owned = lifecycle.extend_leases(self.session_factory, claims, self.lease_seconds)
        except Exception:
            logger.exception("worker.heartbeat_failed worker_id=%s", self.worker_id)
            return
        for claim in claims:
            # A job that finished since the snapshot is no longer running: not a lost lease.
            if claim.id not in owned and self.in_flight.holds(claim):
                logger.warning("worker.lease_lost job_id=%s", claim.id)


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
    paced_kinds: Collection[str] | None = None,
    thread_context: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> WorkerStats:
    """Run jobs until ``stop_event`` is set; return what was done (see ``Worker``). Blocks."""
    return Worker(
        session_factory,
        registry,
        concurrency=concurrency,
        poll_interval=poll_interval,
        stop_event=stop_event,
        worker_id=worker_id,
        lease_seconds=lease_seconds,
        policy=policy,
        pacer=pacer,
        paced_kinds=paced_kinds,
        thread_context=thread_context,
    ).run()


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
