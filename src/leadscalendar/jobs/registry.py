"""Which handler runs which kind of job, and what a handler is given.

Why handlers do not get a session with an open transaction: a handler's work
is mostly a network call (Google, ~100 ms, up to the HTTP timeout). On SQLite
every transaction starts with ``BEGIN IMMEDIATE``, so a session held open
across that call would block every other writer in the process, webhooks and
bookings included, for its whole duration. So a handler runs in three steps:

1. read what it needs in short transactions (``ctx.read()``; always rolled back);
2. do its I/O holding no transaction;
3. return an outcome whose ``effects`` hold its writes (named values, see
   ``jobs.outcomes.Effect``). The runner applies them in order in the
   transaction that also records the job's new state, after checking the lease
   is still held, so the writes and the job's state commit together, once. An
   effect must re-check what it relies on (the booking may have been cancelled
   during the call).

Writes that must survive whatever the outcome (a refreshed access token) go
through ``ctx.session_factory`` in their own unit of work, as any boundary would.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.engine import READ_ONLY
from leadscalendar.jobs import lifecycle
from leadscalendar.jobs.outcomes import ClaimedJob, Outcome


@dataclass(frozen=True)
class JobContext:
    job: ClaimedJob
    session_factory: sessionmaker[Session]
    lease_seconds: float

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short-lived session for lookups; anything written in it is rolled back.

        On SQLite its transaction begins DEFERRED: a WAL snapshot, without the
        write lock that ``BEGIN IMMEDIATE`` takes, so a job's read neither waits
        for the outcomes being committed nor holds them up.
        """
        bind = self.session_factory.kw.get("bind")
        if isinstance(bind, Engine):
            # Still lazy: a read that turns out to need nothing begins no transaction.
            session = self.session_factory(bind=_read_only(bind))
        else:
            session = self.session_factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def extend_lease(self, seconds: float | None = None) -> bool:
        """Keep the job for a long step; False means the lease is gone: stop and return."""
        owned = lifecycle.extend_leases(
            self.session_factory, [self.job], seconds or self.lease_seconds
        )
        return self.job.id in owned


Handler = Callable[[JobContext], Outcome]


@functools.lru_cache(maxsize=8)
def _read_only(engine: Engine) -> Engine:
    """The engine whose transactions begin read-only (DEFERRED on SQLite), made once."""
    return engine.execution_options(**{READ_ONLY: True})


class UnknownJobKindError(KeyError):
    pass


class JobRegistry:
    """Maps a job kind to its handler; a worker only claims kinds it has."""

    def __init__(self, *, bare_subject: str = "subject") -> None:
        self._handlers: dict[str, Handler] = {}
        # The log field a subject key without a "name:" prefix stands for (the
        # bookings domain's registry: "booking_id"); the jobs package names no domain.
        self._bare_subject = bare_subject

    def register(self, kind: str, handler: Handler) -> None:
        if kind in self._handlers and self._handlers[kind] is not handler:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def handler(self, kind: str) -> Callable[[Handler], Handler]:
        """Decorator form of ``register``."""

        def decorate(function: Handler) -> Handler:
            self.register(kind, function)
            return function

        return decorate

    def get(self, kind: str) -> Handler:
        try:
            return self._handlers[kind]
        except KeyError:
            raise UnknownJobKindError(kind) from None

    def subject_fields(self, subject_key: str) -> dict[str, str]:
        """Log fields for a job's subject: ``host:<id>`` -> host_id, a bare key -> bare_subject."""
        name, separator, value = subject_key.partition(":")
        if separator and name.isidentifier():
            return {f"{name}_id": value}
        return {self._bare_subject: subject_key}

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers
