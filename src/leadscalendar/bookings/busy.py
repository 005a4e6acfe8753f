"""The host's busy time from Google free/busy, cached briefly.

When free/busy cannot be read, no slot is offered: selling a slot that may
be taken is worse than selling none for a minute.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from leadscalendar.availability import BusyInterval
from leadscalendar.bookings.errors import NotTakingBookingsError
from leadscalendar.google import repository as google_repository
from leadscalendar.google.clients import CalendarClients
from leadscalendar.google.exceptions import NotConnectedError, ReauthorizationRequiredError
from leadscalendar.google.models import ConnectionStatus
from leadscalendar.google.scopes import FREEBUSY

logger = logging.getLogger(__name__)

CACHE_SECONDS = 30.0
CACHE_ENTRIES = 1024

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


class BusyTimes:
    """Fetches and caches free/busy per host and window (thread-safe)."""

    def __init__(self, calendars: CalendarClients, ttl_seconds: float = CACHE_SECONDS) -> None:
        self._calendars = calendars
        self._ttl = ttl_seconds
        self._cache: dict[tuple[uuid.UUID, datetime, datetime], _Entry] = {}
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
        return sorted({"primary", connection.calendar_id, *extra})

    def fetch(
        self, host_id: uuid.UUID, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> tuple[BusyInterval, ...]:
        # Whole UTC days, so the slot page and the hold check share cache entries.
        start = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
            days=1
        )
        key = (host_id, start, end)
        now = time.monotonic()
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None and now - entry.fetched_at < self._ttl:
                return entry.busy
        busy = self._fetch_from_google(host_id, calendar_ids, start, end)
        with self._lock:
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.clear()
            self._cache[key] = _Entry(now, busy)
        return busy

    def _fetch_from_google(
        self, host_id: uuid.UUID, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> tuple[BusyInterval, ...]:
        try:
            answer = self._calendars.for_host(host_id).free_busy(calendar_ids, start, end)
        except (ReauthorizationRequiredError, NotConnectedError):
            raise NotTakingBookingsError(NEEDS_REAUTH) from None
        except Exception:
            logger.warning("free/busy unavailable for host %s", host_id, exc_info=True)
            raise NotTakingBookingsError(UNREADABLE) from None
        if answer.errors:
            logger.warning("free/busy errors for host %s: %s", host_id, dict(answer.errors))
            raise NotTakingBookingsError(UNREADABLE)
        return tuple(
            BusyInterval(interval.start, interval.end)
            for intervals in answer.busy.values()
            for interval in intervals
        )
