"""The host's busy time: from the calendar-sync mirror when fresh, else free/busy.

A calendar whose mirror is fresh (a live push channel, or a sync within
``calendar_fresh_seconds``) answers from the database, so a slot page costs
no Google call; only the calendars it cannot answer for (not synced yet, not
owned by the host, stale) are asked with free/busy, cached briefly.

When free/busy cannot be read, no slot is offered: selling a slot that may
be taken is worse than selling none for a minute.

A failure is remembered too, per host, for a backoff that doubles with each
failure in a row (and never ends before Google's ``Retry-After``): while a
host is rate limited, every page view would otherwise ask Google again and
keep the limit in force.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.availability import BusyInterval
from leadscalendar.bookings.errors import NotTakingBookingsError
from leadscalendar.calendar_sync import service as calendar_sync
from leadscalendar.db.base import utcnow
from leadscalendar.google import repository as google_repository
from leadscalendar.google.clients import CalendarClients
from leadscalendar.google.errors import Operation, classify
from leadscalendar.google.exceptions import NotConnectedError, ReauthorizationRequiredError
from leadscalendar.google.models import ConnectionStatus
from leadscalendar.google.scopes import FREEBUSY

logger = logging.getLogger(__name__)

CACHE_SECONDS = 30.0
CACHE_ENTRIES = 1024
# A host's first failure is remembered this long; each further one doubles it.
FAILURE_BASE_SECONDS = 10.0
FAILURE_CAP_SECONDS = 300.0

NOT_CONNECTED = "This host is not taking bookings right now: their calendar is not connected."
NEEDS_REAUTH = (
    "This host is temporarily not taking bookings: their calendar connection needs "
    "attention. Please try again later."
)
UNREADABLE = "We cannot check this host's calendar right now. Please try again in a minute."


@dataclass(frozen=True)
class _Entry:
    fetched_at: float
    busy: tuple[BusyInterval, ...]


@dataclass(frozen=True)
class BusyRead:
    """Busy time, and until when it may stand in for a new read (a cached slot answer's bound).

    The free/busy part lasts as long as its cache entry; the mirror's part as
    long as every calendar it answered for stays fresh.
    """

    busy: tuple[BusyInterval, ...]
    valid_until: datetime
    # When the free/busy part runs out (None: the mirror answered for every calendar).
    free_busy_until: datetime | None = None


@dataclass(frozen=True)
class _Failure:
    until: float
    count: int
    message: str


class MirrorReader:
    """Reads the busy mirror in a short session of its own (the caller's has ended)."""

    def __init__(self, session_factory: sessionmaker[Session], fresh_seconds: float) -> None:
        self._session_factory = session_factory
        self._fresh_seconds = fresh_seconds

    def read(
        self, host_id: uuid.UUID, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> calendar_sync.MirrorAnswer:
        session = self._session_factory()
        try:
            return calendar_sync.mirror_busy(
                session,
                host_id=host_id,
                calendar_ids=calendar_ids,
                start=start,
                end=end,
                now=utcnow(),
                fresh_seconds=self._fresh_seconds,
            )
        finally:
            session.rollback()
            session.close()


class BusyTimes:
    """Fetches and caches free/busy per host and window, and failures per host (thread-safe)."""

    def __init__(
        self,
        calendars: CalendarClients,
        ttl_seconds: float = CACHE_SECONDS,
        *,
        failure_base_seconds: float = FAILURE_BASE_SECONDS,
        failure_cap_seconds: float = FAILURE_CAP_SECONDS,
        mirror: MirrorReader | None = None,
    ) -> None:
        self._calendars = calendars
        self._mirror = mirror
        self._ttl = ttl_seconds
        self._failure_base = failure_base_seconds
        self._failure_cap = failure_cap_seconds
        self._cache: dict[tuple[uuid.UUID, tuple[str, ...], datetime, datetime], _Entry] = {}
        self._failures: dict[uuid.UUID, _Failure] = {}
        self._lock = threading.Lock()

    def calendars_to_check(
        self, session: Session, host_id: uuid.UUID, extra: Sequence[str]
    ) -> list[str]:
        """Which calendars count as busy; raises when the host cannot take bookings."""
        connection = google_repository.get_connection(session, host_id)
        if connection is None:
            raise NotTakingBookingsError(NOT_CONNECTED)
        if (
            connection.status is ConnectionStatus.NEEDS_REAUTH
            or FREEBUSY in connection.missing_scopes
        ):
            raise NotTakingBookingsError(NEEDS_REAUTH)
        chosen = connection.busy_calendar_ids or []
        return sorted({"primary", connection.calendar_id, *chosen, *extra})

    def fetch(
        self, host_id: uuid.UUID, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> tuple[BusyInterval, ...]:
        return self.read(host_id, calendar_ids, start, end).busy

    def read(
        self,
        host_id: uuid.UUID,
        calendar_ids: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        min_life: float = 0.0,
    ) -> BusyRead:
        """Busy time in (at least) [start, end), with how long the answer holds.

        ``min_life``: a cached free/busy answer with fewer seconds left than
        this is asked again (a slot answer refreshed before it runs out).
        """
        # Whole UTC days, so the slot page and the hold check share cache entries.
        start = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
            days=1
        )
        mirrored: tuple[BusyInterval, ...] = ()
        fresh_until: datetime | None = None
        if self._mirror is not None:
            answer = self._mirror.read(host_id, calendar_ids, start, end)
            mirrored = tuple(BusyInterval(s, e) for s, e in answer.busy)
            fresh_until = answer.fresh_until
            if not answer.unanswered:
                return BusyRead(mirrored, fresh_until or utcnow())
            calendar_ids = answer.unanswered
        busy, lasts = self._free_busy(host_id, tuple(calendar_ids), start, end, min_life)
        until = utcnow() + timedelta(seconds=lasts)
        valid_until = until if fresh_until is None else min(until, fresh_until)
        return BusyRead(mirrored + busy, valid_until, until)

    def _free_busy(
        self,
        host_id: uuid.UUID,
        calendar_ids: tuple[str, ...],
        start: datetime,
        end: datetime,
        min_life: float,
    ) -> tuple[tuple[BusyInterval, ...], float]:
        """Free/busy for the calendars the mirror could not answer, with the cache.

        Also returns for how many more seconds the cache entry answers.
        """
        key = (host_id, calendar_ids, start, end)
        now = time.monotonic()
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None and now - entry.fetched_at < self._ttl - min_life:
                return entry.busy, entry.fetched_at + self._ttl - now
            failure = self._failures.get(host_id)
            if failure is not None and now < failure.until:
                raise NotTakingBookingsError(failure.message)
        try:
            busy = self._fetch_from_google(host_id, calendar_ids, start, end)
        except _UnreadableError as unreadable:
            self._remember_failure(host_id, unreadable, time.monotonic())
            raise NotTakingBookingsError(unreadable.message) from None
        with self._lock:
            self._failures.pop(host_id, None)
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.clear()
            self._cache[key] = _Entry(now, busy)
        return busy, now + self._ttl - time.monotonic()

    def _remember_failure(
        self, host_id: uuid.UUID, unreadable: _UnreadableError, now: float
    ) -> None:
        with self._lock:
            previous = self._failures.get(host_id)
            count = previous.count + 1 if previous is not None else 1
            delay = min(self._failure_cap, self._failure_base * 2.0 ** min(count - 1, 30))
            delay = max(delay, unreadable.retry_after or 0.0)
            if len(self._failures) >= CACHE_ENTRIES:
                self._failures.clear()
            self._failures[host_id] = _Failure(now + delay, count, unreadable.message)

    def _fetch_from_google(
        self, host_id: uuid.UUID, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> tuple[BusyInterval, ...]:
        try:
            answer = self._calendars.for_host(host_id).free_busy(calendar_ids, start, end)
        except (ReauthorizationRequiredError, NotConnectedError):
            raise _UnreadableError(NEEDS_REAUTH) from None
        except Exception as error:
            logger.warning("free/busy unavailable for host %s", host_id, exc_info=True)
            retry_after = classify(error, operation=Operation.FREE_BUSY).retry_after
            raise _UnreadableError(UNREADABLE, retry_after) from None
        if answer.errors:
            logger.warning("free/busy errors for host %s: %s", host_id, dict(answer.errors))
            raise _UnreadableError(UNREADABLE)
        return tuple(
            BusyInterval(interval.start, interval.end)
            for intervals in answer.busy.values()
            for interval in intervals
        )


class _UnreadableError(Exception):
    """Free/busy could not be read: the words for the lead, and Google's Retry-After."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
