"""Finished jobs' outcomes, recorded in batches: one transaction for many outcomes.

Used on SQLite (``batches_outcomes``). Recording an outcome is a few
statements (the lease-guarded job UPDATE, the handler's writes, the attempt
row); opening a session, checking a connection
out and committing cost more than those statements together. Under a backlog
many job threads finish at once, so one recorder thread writes whatever has
finished meanwhile in one transaction.

A batch is first written plainly, every outcome after the other, and
committed. Only if one of them raises is the batch rolled back and written
again with a savepoint each: the failing outcome is rolled back alone and
recorded as an error, the others commit. Savepoints cost a SAVEPOINT and a
RELEASE per outcome (a third of the recorder's CPU), and an outcome that
raises is rare, so the common batch pays for none. Log lines and metrics of
the attempts are emitted after the commit that made them true, once.

Job threads wait for their outcome's commit, so a job is never reported (or
its slot reused) before its new state is durable; if the process dies before
the commit, the leases expire and the jobs run again, which is what the
deterministic event ids and the lease guards are for.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs.lifecycle import FinishedAttempt, finished_reports
from leadscalendar.jobs.models import JobStatus

logger = logging.getLogger(__name__)

# Writes one job's outcome in the given session (inside its savepoint); returns the
# job's new status, None when the lease was lost. Raises to have it recorded as an error.
Write = Callable[[Session], JobStatus | None]

MAX_BATCH = 64


def batches_outcomes(session_factory: sessionmaker[Session]) -> bool:
    """Whether a worker on this database records in batches: on SQLite only.

    On SQLite a statement is a function call and every commit takes the one
    write lock: a batch saves a third of the CPU of recording an outcome and
    most lock handoffs. On PostgreSQL each statement is a round trip; job
    threads recording on their own connections overlap those waits, while
    one recorder thread sending a batch's statements one after another
    became the bottleneck (measured: the same CPU per job, half the rate;
    measured again without the savepoints: 19.6 against 49.5 events/s).
    """
    bind = session_factory.kw.get("bind")
    return bind is not None and bind.dialect.name == "sqlite"


@dataclass
class _Pending:
    job_id: uuid.UUID
    write: Write
    # Recorded instead when ``write`` raises: the attempt as an error.
    on_error: Callable[[Session, BaseException], JobStatus | None]
    # The job thread's context: lines logged while recording carry its job's fields.
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    done: Future[JobStatus | None] = field(default_factory=Future)
    # What the write produced in the current try: the status and the attempts to report.
    status: JobStatus | None = None
    finished: list[FinishedAttempt] = field(default_factory=list)

    def settle(self) -> None:
        """The commit succeeded: report the attempts (with the job's log fields), wake the job."""
        for attempt in self.finished:
            self.context.run(attempt.report)
        self.done.set_result(self.status)


class OutcomeRecorder:
    """A thread that commits finished jobs' outcomes in batches; ``record`` waits for it."""

    def __init__(self, session_factory: sessionmaker[Session], max_batch: int = MAX_BATCH) -> None:
        self._session_factory = session_factory
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="job-recorder", daemon=True)

    def start(self) -> OutcomeRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Record what is queued, then end the thread (call once no job thread records)."""
        self._queue.put(None)
        self._thread.join()

    def record(
        self,
        job_id: uuid.UUID,
        write: Write,
        on_error: Callable[[Session, BaseException], JobStatus | None],
    ) -> JobStatus | None:
        """Queue one job's outcome and block until it is committed; raises what it raised."""
        pending = _Pending(job_id, write, on_error)
        self._queue.put(pending)
        return pending.done.result()

    def _loop(self) -> None:
        running = True
        while running:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    running = False
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        # Job rows are locked in id order, as the heartbeat's UPDATEs take them: two
        # transactions taking the same rows in different orders deadlock on PostgreSQL.
        batch.sort(key=lambda pending: pending.job_id)
        try:
            with unit_of_work(self._session_factory) as session:
                for pending in batch:
                    pending.context.run(_write, session, pending)
        except Exception:  # one outcome (or the commit) failed: a savepoint each
            self._commit_in_savepoints(batch)
            return
        for pending in batch:
            pending.settle()

    def _commit_in_savepoints(self, batch: list[_Pending]) -> None:
        try:
            with unit_of_work(self._session_factory) as session:
                for pending in batch:
                    pending.context.run(_write_or_error, session, pending)
        except Exception as error:  # the commit itself failed: each is retried alone
            logger.warning("job.batch_failed size=%d error=%s", len(batch), type(error).__name__)
            for pending in batch:
                self._commit_alone(pending)
            return
        for pending in batch:
            pending.settle()

    def _commit_alone(self, pending: _Pending) -> None:
        try:
            with unit_of_work(self._session_factory) as session:
                pending.context.run(_write_or_error, session, pending)
        except Exception as error:
            pending.done.set_exception(error)
        else:
            pending.settle()


def _write(session: Session, pending: _Pending) -> None:
    """``write`` with no savepoint: if it raises, the whole batch is rolled back."""
    pending.status = pending.write(session)
    pending.finished = finished_reports(session)


def _write_or_error(session: Session, pending: _Pending) -> None:
    """``write`` in a savepoint; if it raises, ``on_error`` in a fresh one."""
    try:
        with session.begin_nested():
            pending.status = pending.write(session)
    except Exception as error:
        finished_reports(session)  # what the rolled-back savepoint wrote is not reported
        with session.begin_nested():
            pending.status = pending.on_error(session, error)
    pending.finished = finished_reports(session)
