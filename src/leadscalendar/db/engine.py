"""Engine construction for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
# An execution option for a connection that only reads, for a long time (a streamed
# export): on SQLite its transaction begins DEFERRED, so it reads a WAL snapshot
# without holding the write lock that ``BEGIN IMMEDIATE`` would keep from writers.
READ_ONLY = "leadscalendar_read_only"


def build_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings each backend needs to be safe under concurrency.

    SQLite gets WAL (readers never block the writer), enforced foreign keys and a
    generous busy timeout, and every transaction starts with ``BEGIN IMMEDIATE``
    so writers serialise up front instead of failing on lock upgrade. Both hide
    statement parameters from error messages.
    """
    # A failed statement's parameters (lead names, e-mails, notes) would otherwise be
    # part of the exception's text, and so of every log line and traceback showing it.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
