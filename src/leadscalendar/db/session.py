"""Sessions and the unit of work: only boundaries (a request, a job run) commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from leadscalendar.db.engine import READ_ONLY


class ReadOnlySessionError(RuntimeError):
    """A write through a read-only session: a programming error, never a user's."""


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def build_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for paths that only read (lead pages, the slot API, metrics scrapes).

    On SQLite their transactions begin DEFERRED (``READ_ONLY``): they read a WAL
    snapshot without taking the write lock, so page views neither queue behind
    each other nor behind writers. On PostgreSQL a plain transaction never
    blocked writers anyway. Writes are refused here, in every backend, so a
    route moved onto this factory by mistake fails its tests instead of racing
    for a lock upgrade under load.
    """
    factory = sessionmaker(
        bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
    )
    event.listen(factory, "before_flush", _refuse_flush)
    event.listen(factory, "do_orm_execute", _refuse_write_statement)
    return factory


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySessionError("A read-only session was asked to write.")


def _refuse_write_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySessionError("A read-only session was asked to write.")


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_only(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One read: nothing to commit, the snapshot is let go when the block ends."""
    session = factory()
    try:
        yield session
    finally:
        session.close()
