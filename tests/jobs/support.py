"""Test handlers and helpers, importable by the worker subprocesses too.

A handler's "effect" is a row in ``test_job_effects``, a table outside the
application's metadata, written by the outcome's ``InsertEffectRow`` so that
counting rows per job shows whether an effect happened exactly once.
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts import service as accounts
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import (
    Job,
    JobContext,
    JobRegistry,
    JobStatus,
    Outcome,
    Park,
    Retry,
    Succeeded,
    enqueue,
)

test_metadata = MetaData()
effects = Table(
    "test_job_effects",
    test_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(36), nullable=False),
    Column("worker", String(200), nullable=False),
)

EFFECT = "test_effect"


class TestParkCode(enum.StrEnum):
    """The park codes of these tests' handlers (a domain's enum, as in the application)."""

    __test__ = False  # not a test class, whatever pytest thinks of its name
    NEEDS_REAUTH = "needs_reauth"
    CALENDAR_GONE = "calendar_gone"
    NEVER = "never"


@dataclass(frozen=True)
class InsertEffectRow:
    """The test's effect: one row in ``test_job_effects`` for the job that ran."""

    name: ClassVar[str] = "test.insert_effect_row"
    job_id: str
    worker: str

    def apply(self, session: Session) -> None:
        session.execute(insert(effects).values(job_id=self.job_id, worker=self.worker))


@dataclass(frozen=True)
class CallEffect:
    """An effect that runs ``call`` (a test's probe: raise, flush, note that it ran)."""

    name: str
    call: Callable[[Session], None]

    def apply(self, session: Session) -> None:
        self.call(session)


@contextmanager
def effects_table(engine: Engine) -> Iterator[None]:
    test_metadata.create_all(engine)
    try:
        yield
    finally:
        test_metadata.drop_all(engine)


def record_effect(ctx: JobContext) -> Outcome:
    """Pretend to call Google (sleep), then write the effect with the job's success."""
    sleep = float(ctx.job.payload.get("sleep", 0))
    if sleep:
        time.sleep(sleep)
    effect = InsertEffectRow(str(ctx.job.id), ctx.job.lease_owner)
    return Succeeded(detail="effect written", effects=(effect,), operation="test.effect")


def make_registry(**extra: Any) -> JobRegistry:
    registry = JobRegistry()
    registry.register(EFFECT, record_effect)
    for kind, handler in extra.items():
        registry.register(kind, handler)
    return registry


def always_retry(ctx: JobContext) -> Outcome:
    return Retry(reason="Google said 503", http_status=503, operation="events.insert")


def always_park(ctx: JobContext) -> Outcome:
    code = TestParkCode(ctx.job.payload.get("code", "needs_reauth"))
    return Park(code=code, reason="Reconnect Google")


def enqueue_many(
    session_factory: sessionmaker[Session], count: int, *, kind: str = EFFECT, **payload: Any
) -> list[uuid.UUID]:
    with unit_of_work(session_factory) as session:
        jobs = [
            enqueue(session, kind, payload, subject_key=f"booking-{index}", host_id=None)
            for index in range(count)
        ]
        return [job.id for job in jobs]


def status_counts(session_factory: sessionmaker[Session]) -> dict[JobStatus, int]:
    with session_factory() as session:
        rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        return {status: count for status, count in rows}


def effect_counts(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as session:
        rows = session.execute(
            select(effects.c.job_id, func.count()).group_by(effects.c.job_id)
        ).all()
        return {job_id: count for job_id, count in rows}


def wait_until(predicate: Any, timeout: float = 60.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


def make_host(session: Session, slug: str) -> uuid.UUID:
    host = accounts.create_host(
        session,
        email=f"{slug}@example.com",
        name=slug,
        slug=slug,
        password="correct horse battery",
    )
    return host.id
