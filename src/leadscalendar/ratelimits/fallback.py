"""Keep limiting when Redis is away: count in the database until it is back.

Redis is an optional speed-up for the counters, not a dependency the product
may fall over with: a login or a hold must never fail with a 500 because Redis
restarted. While Redis cannot be reached, hits go to the database store, which
every web process shares too, so the limits stay global; when Redis answers
again, it takes over (its windows start empty, which errs on the lenient side
for at most one window).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis.exceptions

from leadscalendar.ratelimits.stores import Decision, WindowStore

logger = logging.getLogger(__name__)

# Errors that mean "Redis is not there right now", as opposed to a bug in our script.
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# At most one warning per this many seconds while Redis stays away.
WARN_EVERY_SECONDS = 60.0


class FallbackWindowStore:
    """``primary`` while it answers, ``fallback`` while it cannot be reached."""

    def __init__(
        self,
        primary: WindowStore,
        fallback: WindowStore,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._clock = clock
        self._lock = threading.Lock()
        self._warned_at: float | None = None

    def hit(self, key: str, limit: int, window_seconds: float) -> Decision:
        try:
            return self._primary.hit(key, limit, window_seconds)
        except UNREACHABLE as error:
            self._warn(error)
            return self._fallback.hit(key, limit, window_seconds)

    def peek(self, key: str, limit: int, window_seconds: float) -> Decision:
        try:
            return self._primary.peek(key, limit, window_seconds)
        except UNREACHABLE as error:
            self._warn(error)
            return self._fallback.peek(key, limit, window_seconds)

    def release(self, key: str, ticket: str) -> None:
        # A ticket is released where it was taken; releasing in both is harmless
        # (no store knows the other's tickets), and keeps a success from counting.
        for store in (self._primary, self._fallback):
            try:
                store.release(key, ticket)
            except UNREACHABLE as error:
                self._warn(error)

    def reset(self, key: str) -> None:
        for store in (self._primary, self._fallback):
            try:
                store.reset(key)
            except UNREACHABLE as error:
                self._warn(error)

    def _warn(self, error: Exception) -> None:
        with self._lock:
            now = self._clock()
            if self._warned_at is not None and now - self._warned_at < WARN_EVERY_SECONDS:
                return
            self._warned_at = now
        logger.warning(
            "Redis is unreachable (%s); rate limits count in the database until it is back",
            type(error).__name__,
        )
