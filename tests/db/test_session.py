"""Read-only sessions: they read beside a writer and refuse to write."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts.models import Host
from leadscalendar.db.engine import build_engine
from leadscalendar.db.session import ReadOnlySessionError, build_read_session_factory, read_only


def _host(slug: str) -> Host:
    return Host(email=f"{slug}@example.com", name=slug.title(), slug=slug, password_hash="x")


def test_a_read_only_session_reads_its_snapshot_while_a_writer_holds_the_write_lock(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as writer:
        writer.add(_host("committed"))
        writer.commit()
        # Flushed, not committed: on SQLite this transaction holds the write lock
        # (BEGIN IMMEDIATE); a reader asking for it would wait out the busy timeout.
        writer.add(_host("pending"))
        writer.flush()
        with read_only(build_read_session_factory(engine)) as reader:
            slugs = reader.scalars(select(Host.slug)).all()
        writer.commit()
    assert slugs == ["committed"]


def test_a_read_only_session_refuses_orm_and_statement_writes(engine: Engine) -> None:
    factory = build_read_session_factory(engine)
    with read_only(factory) as session:
        session.add(_host("sneaky"))
        with pytest.raises(ReadOnlySessionError):
            session.flush()
    with read_only(factory) as session, pytest.raises(ReadOnlySessionError):
        session.execute(update(Host).values(name="Changed"))
    with read_only(factory) as session:
        assert session.scalar(select(func.count()).select_from(Host)) == 0


def test_sqlite_runs_in_wal_mode_for_both_kinds_of_session(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{(tmp_path / 'wal.sqlite3').as_posix()}")
    try:
        with Session(engine) as session:
            assert session.scalar(text("PRAGMA journal_mode")) == "wal"
        with read_only(build_read_session_factory(engine)) as session:
            assert session.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        engine.dispose()
