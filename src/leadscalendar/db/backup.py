"""Consistent copies of a live SQLite database, and putting one back.

SQLite's online backup API copies the database page by page inside one read
transaction. In WAL mode (``db.engine`` turns it on) readers never block the
writer, so the app and its workers keep booking while the copy is taken, and
the copy holds exactly what was committed when that transaction began: never
half of a booking, its job and its timeline row. Copying the file with ``cp``
would not be safe: the newest commits may live only in the ``-wal`` file.

PostgreSQL has ``pg_dump`` / ``pg_restore`` for this (see the README); these
functions refuse a PostgreSQL URL instead of doing something weaker.

A restore checks the copy before it touches anything: that it is a SQLite
database that passes ``PRAGMA integrity_check`` and that its schema version
is one this code knows. A copy from an older release is put back as it was
and then migrated forward (the ``db restore`` command runs the upgrade). A
copy from a newer release is refused: this code would not understand its
tables.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from leadscalendar.db.migrate import alembic_config
from leadscalendar.errors import LeadsCalendarError


class BackupError(LeadsCalendarError):
    """A backup or restore that cannot be done as asked; the message says what to do."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size_bytes: int
    schema_revision: str


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL; anything else is refused with the right tool named."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            "Backups from this command are for the embedded SQLite database. For PostgreSQL use "
            "pg_dump and pg_restore (see the README's Backups section)."
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("This SQLite database lives only in memory; there is no file to copy.")
    return Path(url.database)


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool) -> Iterator[sqlite3.Connection]:
    # ``mode=ro`` never creates a file: a mistyped path is an error, not an empty database.
    uri = f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rwc'}"
    connection = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def _schema_revision(connection: sqlite3.Connection, what: str) -> str:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise BackupError(f"{what} has no LeadsCalendar schema version; it is not our database.")
    return str(row[0])


def _check_integrity(connection: sqlite3.Connection, what: str) -> None:
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{what} is not a readable SQLite database ({error}).") from None
    if verdict is None or verdict[0] != "ok":
        raise BackupError(f"{what} is damaged: SQLite's integrity check says {verdict}.")


def _durable_replace(temporary: Path, final: Path) -> None:
    """Rename into place only once the bytes are on disk: a crash leaves old or new, never half."""
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    temporary.replace(final)
    directory = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def backup(database_url: str, destination: Path) -> BackupReport:
    """Copy the live database to ``destination`` (which must not exist yet), consistently."""
    source = sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"There is no database at {source} to back up.")
    if destination.exists():
        raise BackupError(f"{destination} already exists; choose a new file name.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with _connect(source, read_only=True) as live, _connect(partial, read_only=False) as copy:
            # pages=-1: the whole database in one step, so in one read transaction: a
            # consistent snapshot however busy the writers are (smaller steps restart
            # whenever another connection writes, and might never finish).
            live.backup(copy, pages=-1)
            _check_integrity(copy, "The copy")
            revision = _schema_revision(copy, "The database")
        _durable_replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(destination, destination.stat().st_size, revision)


def _known_revisions(database_url: str) -> set[str]:
    scripts = ScriptDirectory.from_config(alembic_config(database_url))
    return {script.revision for script in scripts.walk_revisions()}


def restore(database_url: str, source: Path, *, replace: bool = False) -> BackupReport:
    """Put a backup in place of the database; refuses to overwrite unless ``replace``.

    Stop every ``serve`` and ``worker`` process first: they hold the old file open.
    """
    target = sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"There is no backup at {source}.")
    with _connect(source, read_only=True) as backup_copy:
        _check_integrity(backup_copy, f"The backup {source}")
        revision = _schema_revision(backup_copy, f"The backup {source}")
    if revision not in _known_revisions(database_url):
        raise BackupError(
            f"The backup's schema version {revision} is unknown to this release (it comes from a "
            "newer one, or not from LeadsCalendar): restore it with the release that made it."
        )
    if target.exists() and not replace:
        raise BackupError(
            f"A database already exists at {target}; stop the app and its workers and pass "
            "--replace to overwrite it."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    try:
        with (
            _connect(source, read_only=True) as backup_copy,
            _connect(partial, read_only=False) as fresh,
        ):
            backup_copy.backup(fresh, pages=-1)
        # The old database's WAL and shared-memory files belong to the old file.
        for leftover in (target.with_name(target.name + suffix) for suffix in ("-wal", "-shm")):
            leftover.unlink(missing_ok=True)
        _durable_replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(target, target.stat().st_size, revision)
