"""Computed slot answers, kept per process, served while the host's availability is unchanged.

A slot page is read far more often than a host's availability changes, and
computing it costs a dozen statements, a busy-time read and the slot
arithmetic. A cached answer is served only when both hold:

1. The host's availability version, read from the database (one indexed
   row), is the one the answer was computed under. Triggers bump it in the
   same transaction as every write that can change the answer (see
   ``AvailabilityVersion``), so once a hold, a cancellation, an hours change
   or a mirror update has committed, the next request of every process, on
   every machine, computes afresh.
2. Its ``valid_until`` has not passed. What changes with time alone bounds
   it: a hold expiring, the first offered slot coming inside the minimum
   notice, the host's next day coming within ``max_days_ahead``, the
   free/busy answer's own lifetime, the mirror's freshness.

The version is read before anything the answer is computed from: a write
committed in between makes the entry newer than its version (a needless miss
next time), never older. Answers for a booking being rescheduled (one booking
left out) are never cached.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cachetools import LRUCache
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

from leadscalendar.availability.display import Clock
from leadscalendar.bookings import repository
from leadscalendar.bookings.schemas import SlotsOut
from leadscalendar.db.engine import build_engine

MAX_ENTRIES = 1024
# PostgreSQL connections kept for the version read (see _version_engine).
VERSION_POOL_SIZE = 8
# However long nothing seems to change, an answer is recomputed this often: a
# safety net for an input nobody thought of, cheap at one miss a minute a page.
MAX_AGE = timedelta(seconds=60)
# An answer that ends with its free/busy answer is computed again in the
# background this long before, so no lead waits for Google (see booking_flow).
REFRESH_AHEAD = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class SlotKey:
    """One slot question as a page or the API asks it."""

    host_slug: str
    type_slug: str
    first_day: date
    days: int
    time_zone: str
    clock: Clock = "24h"


@dataclass(frozen=True, slots=True)
class HostVersion:
    host_id: uuid.UUID
    version: int


class CachedSlots:
    """One computed answer, what it was computed under, and until when time leaves it alone."""

    __slots__ = ("_body", "answer", "refresh_at", "valid_until", "version")

    def __init__(
        self,
        answer: SlotsOut,
        version: HostVersion | None,
        valid_until: datetime,
        refresh_at: datetime | None = None,
    ) -> None:
        self.answer = answer
        self.version = version
        self.valid_until = valid_until
        # From when a request serving it should start computing its successor.
        self.refresh_at = refresh_at
        self._body: bytes | None = None

    @property
    def body(self) -> bytes:
        """The answer as JSON, encoded once (two threads racing encode the same bytes)."""
        if self._body is None:
            self._body = self.answer.model_dump_json().encode()
        return self._body


class SlotCache:
    """A bounded, thread-safe map from questions to answers, and the version read."""

    def __init__(self, engine: Engine, max_entries: int = MAX_ENTRIES) -> None:
        self._engine = _version_engine(engine)
        compiled = repository.AVAILABILITY_VERSION.compile(dialect=self._engine.dialect)
        self._sql = str(compiled)
        self._positional = compiled.positional
        self._entries: LRUCache[SlotKey, CachedSlots] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()
        self._refreshing: set[SlotKey] = set()

    def version(self, host_slug: str) -> HostVersion | None:
        """The host's current availability version; None for an unknown slug.

        Once more on a connection found dead (the database restarted): the
        version's pool does not ping before each use (``_version_engine``).
        """
        try:
            found = self._read_version(host_slug)
        except _DisconnectedError:
            found = self._read_version(host_slug)
        return None if found is None else HostVersion(*found)

    def _read_version(self, host_slug: str) -> tuple[uuid.UUID, int] | None:
        """The statement compiled once, on the driver's own connection and cursor.

        The hottest read of the product, so none of the Connection's work per
        statement (events, transaction, result processing): on SQLite the
        pooled connection is in autocommit, so a lone SELECT reads a committed
        snapshot and needs no BEGIN; on PostgreSQL ``_version_engine`` is
        autocommit. The row comes back as the driver gives it: SQLite has the
        UUID as 32 hex digits.
        """
        params = (host_slug,) if self._positional else {"slug": host_slug}
        dialect = self._engine.dialect
        try:
            connection = self._engine.raw_connection()
        except dialect.loaded_dbapi.Error as error:
            # Raised by the driver, unwrapped: wrap it as the Connection would, so the
            # app's handlers see SQLAlchemy's OperationalError (a 503, not a 500).
            raise DBAPIError.instance(
                self._sql, params, error, dialect.loaded_dbapi.Error
            ) from error
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self._sql, params)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, connection.dbapi_connection, None):
                raise DBAPIError.instance(
                    self._sql, params, error, dialect.loaded_dbapi.Error
                ) from error
            connection.invalidate(error)  # and the pool's other connections of that age
            raise _DisconnectedError from error
        finally:
            connection.close()
        if row is None:
            return None
        host_id = row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(row[0])
        return host_id, int(row[1])

    def get(self, key: SlotKey, version: HostVersion, now: datetime) -> CachedSlots | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry.version != version or now >= entry.valid_until:
            return None
        return entry

    def put(self, key: SlotKey, entry: CachedSlots) -> None:
        if entry.version is None:
            return
        with self._lock:
            self._entries[key] = entry

    def start_refresh(self, key: SlotKey) -> bool:
        """True for the one caller that should refresh ``key`` now (none is running)."""
        with self._lock:
            if key in self._refreshing:
                return False
            self._refreshing.add(key)
            return True

    def end_refresh(self, key: SlotKey) -> None:
        with self._lock:
            self._refreshing.discard(key)


class _DisconnectedError(Exception):
    """The version's connection was dead (the database restarted): worth one more try."""


def _version_engine(engine: Engine) -> Engine:
    """Where the version is read: the cheapest connection that still reads committed data.

    SQLite: the app's engine (its connections are in autocommit between
    SQLAlchemy's transactions; a lone SELECT never waits for a writer).
    PostgreSQL: a small pool of its own in autocommit, without the app
    pool's ping before each use: that ping and the transaction around
    one SELECT cost three round trips, more CPU than the rest of a cached
    answer. A dead connection is retried instead (``SlotCache.version``), and
    the pool goes when the app's engine is disposed.
    """
    if engine.dialect.name != "postgresql":
        return engine
    # Connections are opened only as concurrent reads need them; a pool smaller
    # than the requests in flight would open and close one per request instead.
    own = build_engine(
        engine.url.render_as_string(hide_password=False),
        pool_pre_ping=False,
        pool_size=VERSION_POOL_SIZE,
        max_overflow=VERSION_POOL_SIZE,
        isolation_level="AUTOCOMMIT",
    )
    event.listen(engine, "engine_disposed", lambda _disposed: own.dispose())
    return own
