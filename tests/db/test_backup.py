"""Backups of a live SQLite database, and restoring one into a fresh directory."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.models import Booking, BookingEvent, BookingType
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.cli import app
from leadscalendar.db import backup, migrate
from leadscalendar.db.base import utcnow
from leadscalendar.db.engine import build_engine
from leadscalendar.db.session import build_session_factory, unit_of_work

runner = CliRunner()


def _url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


@pytest.fixture
def live_db(tmp_path: Path) -> Path:
    path = tmp_path / "live" / "leadscalendar.sqlite3"
    migrate.upgrade(_url(path))
    return path


def _seed_host(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    engine = build_engine(url)
    try:
        with unit_of_work(build_session_factory(engine)) as session:
            host = Host(
                email="host@example.com",
                name="Host",
                slug="host",
                password_hash="x",
                timezone="Europe/Berlin",
            )
            session.add(host)
            session.flush()
            booking_type = BookingType(
                host_id=host.id, slug="call", title="Call", duration_minutes=30
            )
            session.add(booking_type)
            session.flush()
            return host.id, booking_type.id
    finally:
        engine.dispose()


class BookingWriter:
    """Writes bookings, each with its timeline row in the same transaction, until stopped."""

    def __init__(self, url: str, host_id: uuid.UUID, type_id: uuid.UUID) -> None:
        self.engine = build_engine(url)
        self.factory = build_session_factory(self.engine)
        self.host_id, self.type_id = host_id, type_id
        self.committed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = utcnow() + timedelta(days=1)
        while not self.stop.is_set():
            with unit_of_work(self.factory) as session:
                booking = Booking(
                    host_id=self.host_id,
                    booking_type_id=self.type_id,
                    status=BookingStatus.PAID,
                    start_at=start + timedelta(minutes=30 * self.committed),
                    end_at=start + timedelta(minutes=30 * (self.committed + 1)),
                    lead_time_zone="UTC",
                    lead_name="Lead",
                    lead_email="lead@example.com",
                )
                session.add(booking)
                session.flush()
                session.add(BookingEvent(booking_id=booking.id, kind="status_paid"))
            self.committed += 1

    def wait_for(self, count: int) -> None:
        deadline = threading.Event()
        for _ in range(2000):
            if self.committed >= count:
                return
            deadline.wait(0.01)
        raise AssertionError(f"the writer committed only {self.committed} bookings")

    def __enter__(self) -> BookingWriter:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.engine.dispose()


@pytest.fixture
def writer(live_db: Path) -> Iterator[BookingWriter]:
    host_id, type_id = _seed_host(_url(live_db))
    with BookingWriter(_url(live_db), host_id, type_id) as running:
        yield running


def _counts(url: str) -> tuple[int, int, int]:
    engine = build_engine(url)
    try:
        with unit_of_work(build_session_factory(engine)) as session:
            bookings = session.scalar(select(func.count()).select_from(Booking)) or 0
            events = session.scalar(select(func.count()).select_from(BookingEvent)) or 0
            orphans = (
                session.scalar(
                    select(func.count())
                    .select_from(Booking)
                    .where(~Booking.id.in_(select(BookingEvent.booking_id)))
                )
                or 0
            )
            return bookings, events, orphans
    finally:
        engine.dispose()


def test_a_backup_taken_while_bookings_are_written_restores_complete_and_consistent(
    live_db: Path, writer: BookingWriter, tmp_path: Path
) -> None:
    writer.wait_for(50)
    committed_before = writer.committed
    copy = tmp_path / "backups" / "nightly.sqlite3"

    report = backup.backup(_url(live_db), copy)

    committed_after = writer.committed
    writer.wait_for(committed_after + 20)  # the app kept writing: the backup blocked no one
    head = ScriptDirectory.from_config(migrate.alembic_config(_url(live_db))).get_current_head()
    assert report.schema_revision == head
    fresh = tmp_path / "fresh" / "leadscalendar.sqlite3"
    backup.restore(_url(fresh), copy)
    bookings, events, orphans = _counts(_url(fresh))
    # Everything committed before the backup began is there; nothing committed after it ended.
    assert committed_before <= bookings <= committed_after + 1
    # Each booking arrived with its timeline row: one snapshot, no half transaction.
    assert events == bookings
    assert orphans == 0


def test_a_restored_database_is_usable_by_the_app(live_db: Path, tmp_path: Path) -> None:
    _seed_host(_url(live_db))
    copy = tmp_path / "copy.sqlite3"
    backup.backup(_url(live_db), copy)
    fresh = tmp_path / "fresh" / "leadscalendar.sqlite3"

    backup.restore(_url(fresh), copy)

    migrate.upgrade(_url(fresh))  # already at head: a no-op that must not fail
    engine = build_engine(_url(fresh))
    try:
        with unit_of_work(build_session_factory(engine)) as session:
            assert session.scalar(select(Host.slug)) == "host"
    finally:
        engine.dispose()


def test_a_backup_never_overwrites_an_existing_file(live_db: Path, tmp_path: Path) -> None:
    existing = tmp_path / "keep-me.sqlite3"
    existing.write_bytes(b"precious")

    with pytest.raises(backup.BackupError, match="already exists"):
        backup.backup(_url(live_db), existing)

    assert existing.read_bytes() == b"precious"


def test_postgresql_is_pointed_at_pg_dump() -> None:
    with pytest.raises(backup.BackupError, match="pg_dump"):
        backup.backup("postgresql+psycopg://user@db:5432/app", Path("x.sqlite3"))


def test_restore_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database, just words " * 200)

    with pytest.raises(backup.BackupError, match="not a readable SQLite database"):
        backup.restore(_url(tmp_path / "fresh.sqlite3"), junk)

    assert not (tmp_path / "fresh.sqlite3").exists()


def test_restore_refuses_a_schema_this_release_does_not_know(live_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite3"
    backup.backup(_url(live_db), copy)
    with sqlite3.connect(copy) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dfeedcafe'")

    with pytest.raises(backup.BackupError, match="unknown to this release"):
        backup.restore(_url(tmp_path / "fresh.sqlite3"), copy)


def test_restore_replaces_an_existing_database_only_when_asked(
    live_db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "empty.sqlite3"
    backup.backup(_url(live_db), copy)
    _seed_host(_url(live_db))  # the live database moved on after the backup

    with pytest.raises(backup.BackupError, match="--replace"):
        backup.restore(_url(live_db), copy)
    assert _host_count(live_db) == 1

    backup.restore(_url(live_db), copy, replace=True)
    assert _host_count(live_db) == 0


def _host_count(path: Path) -> int:
    engine = build_engine(_url(path))
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM hosts")).scalar_one())
    finally:
        engine.dispose()


def test_the_cli_backs_up_and_restores(
    live_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed_host(_url(live_db))
    monkeypatch.setenv("LEADSCALENDAR_DATABASE_URL", _url(live_db))
    copy = tmp_path / "cli-copy.sqlite3"

    made = runner.invoke(app, ["db", "backup", str(copy)])
    assert made.exit_code == 0, made.output
    assert "Backed up to" in made.output

    fresh = tmp_path / "fresh" / "leadscalendar.sqlite3"
    monkeypatch.setenv("LEADSCALENDAR_DATABASE_URL", _url(fresh))
    restored = runner.invoke(app, ["db", "restore", str(copy)])
    assert restored.exit_code == 0, restored.output
    assert _host_count(fresh) == 1

    again = runner.invoke(app, ["db", "restore", str(copy)])
    assert again.exit_code == 2
    assert "--replace" in again.output
