"""Client-side pacing of Google calls, per host and for the project, shared by every worker.

Google Calendar enforces per-user and per-project request rates (600/min and
10,000/min by default) and answers excess with 403 ``userRateLimitExceeded`` /
``rateLimitExceeded`` or 429. Staying under them is cheaper than backing off.

The counting is the ``limits`` library's moving window (a log of call times
per key, checked and appended atomically), in one of its storages:

* Redis (``LEADSCALENDAR_REDIS_URL``): every worker process on every machine
  counts in the same windows, so a host's 600 calls a minute are 600 in total,
  however its jobs spread over the processes, with no static split to waste
  quota when one host's jobs all land on one process.
* Memory: one process's windows. Several processes without Redis each take
  ``1 / jobs_process_count`` of the quotas, as they cannot talk to each other.

Why ``limits`` (rather than ``pyrate-limiter``): one API over memory and
Redis storages, so both modes run the same code; its Redis moving window is
one Lua script per check, atomic across processes and machines; it answers
"when does the window free" (``get_window_stats``), which the worker needs to
sleep instead of spin; and it is typed and widely used (Flask-Limiter,
SlowAPI) with a stable API, where ``pyrate-limiter`` changed its API in each
major version.

Each quota is two windows. At most ``Q`` calls in any ``QUOTA_WINDOW_SECONDS``
(61, not 60: a call reaches Google a few milliseconds after it was paced, and a
call that left late must not land in the next minute's count), and at most
``ceil(Q / 60)`` in any second, so a backlog is spread over the minute instead
of fired at once. Backoff on 403/429 still covers the rest (a web process also
calling Google, clocks of several machines apart).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.exceptions
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from leadscalendar.config import Settings

logger = logging.getLogger(__name__)

# Google's quotas are per minute; the pacer counts each over one second more.
MINUTE_SECONDS = 60
QUOTA_WINDOW_SECONDS = MINUTE_SECONDS + 1
NAMESPACE = "leadscalendar-pacing"
REDIS_TIMEOUT_SECONDS = 0.5
# Added to every wait handed back: an entry stops counting only once it is more
# than a window old, and a refused caller should not ask again in a tight loop.
MIN_WAIT_SECONDS = 0.01
# Past this many remembered refusals, the stale ones are forgotten to bound memory.
_MAX_REFUSALS = 10_000
# Errors that mean "the shared store is not there right now" (limits wraps Redis's own).
UNREACHABLE = (StorageError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class Pacer(Protocol):
    def acquire(self, key: uuid.UUID | None) -> float:
        """Take a permit for ``key`` and return 0, or return seconds to wait before asking again."""
        ...


@dataclass(frozen=True)
class Quotas:
    """Google's request quotas, per user (a host) and for the whole project, per minute."""

    per_user_per_minute: float = 600.0
    per_project_per_minute: float = 10_000.0

    def __post_init__(self) -> None:
        if self.per_user_per_minute <= 0 or self.per_project_per_minute <= 0:
            raise ValueError("quotas must be positive")

    @classmethod
    def from_settings(cls, settings: Settings) -> Quotas:
        return cls(
            per_user_per_minute=settings.google_rate_per_user_per_minute,
            per_project_per_minute=settings.google_rate_per_project_per_minute,
        )

    def share(self, process_count: int) -> Quotas:
        """One process's part when ``process_count`` processes cannot count together."""
        if process_count < 1:
            raise ValueError("process_count must be at least 1")
        return Quotas(
            self.per_user_per_minute / process_count,
            self.per_project_per_minute / process_count,
        )


def _jitter() -> float:
    """Spreads threads that wait for the same window over a few milliseconds."""
    return random.uniform(0, MIN_WAIT_SECONDS)  # noqa: S311 (timing, not a secret)


def _windows(per_minute: float) -> tuple[RateLimitItem, RateLimitItem]:
    """The per-second window (spreads a backlog) and the quota's own window."""
    per_second = RateLimitItemPerSecond(
        max(1, math.ceil(per_minute / MINUTE_SECONDS)), 1, NAMESPACE
    )
    per_quota = RateLimitItemPerSecond(
        max(1, math.floor(per_minute)), QUOTA_WINDOW_SECONDS, NAMESPACE
    )
    return per_second, per_quota


class QuotaPacer:
    """A ``Pacer`` over a ``limits`` storage: room in the host's windows and the project's.

    The four windows are taken one after another, each atomically; a call that
    fits the first ones and not a later one has used room in the first ones
    without calling. The order keeps that cheap: both one-second windows come
    first (room there comes back within the second), the minute-long ones last.

    A refusal is remembered until the window's oldest entry expires: windows
    only fill up between now and then (other processes add, nobody removes),
    so the job threads waiting on a full window ask the store once per freed
    slot, not all of them every time one slot frees. Waits get a little
    jitter so those threads do not wake at the same instant.
    """

    def __init__(self, storage: Storage, quotas: Quotas) -> None:
        self.storage = storage
        self.quotas = quotas
        self._limiter = MovingWindowRateLimiter(storage)
        self._user = _windows(quotas.per_user_per_minute)
        self._project = _windows(quotas.per_project_per_minute)
        # Window key -> wall-clock time before which asking the store is pointless.
        self._refused_until: dict[str, float] = {}

    @classmethod
    def in_memory(cls, quotas: Quotas) -> QuotaPacer:
        return cls(MemoryStorage(), quotas)

    @classmethod
    def on_redis(cls, url: str, quotas: Quotas, *, key_prefix: str = NAMESPACE) -> QuotaPacer:
        # Short timeouts: a Redis that is away must cost a job milliseconds, not seconds.
        # Wrapped errors (limits.errors.StorageError) are how FallbackPacer notices.
        storage = RedisStorage(
            url,
            key_prefix=key_prefix,
            wrap_exceptions=True,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        return cls(storage, quotas)

    def acquire(self, key: uuid.UUID | None) -> float:
        project = ("project",)
        host = ("host", str(key))
        checks: list[tuple[RateLimitItem, tuple[str, ...]]] = [(self._project[0], project)]
        if key is not None:
            checks = [(self._user[0], host), *checks, (self._user[1], host)]
        checks.append((self._project[1], project))
        for window, identifiers in checks:
            name = window.key_for(*identifiers)
            if (until := self._refused_until.get(name)) is not None:
                now = time.time()
                if until > now:
                    return until - now + _jitter()
                # This call asks the store; the other waiters hold back a moment meanwhile.
                self._refused_until[name] = now + MIN_WAIT_SECONDS
            if not self._limiter.hit(window, *identifiers):
                return self._refused(name, window, identifiers)
            if until is not None:
                self._refused_until.pop(name, None)
        return 0.0

    def tokens_in_use(self) -> float:
        """Calls counted in the project's quota window now: how hard pacing presses (metrics).

        On Redis this is every process's count; in memory, this process's own.
        """
        window = self._project[1]
        stats = self._limiter.get_window_stats(window, "project")
        return float(window.amount - stats.remaining)

    def _refused(self, name: str, window: RateLimitItem, identifiers: tuple[str, ...]) -> float:
        reset_at = self._limiter.get_window_stats(window, *identifiers).reset_time
        now = time.time()
        # A slot frees just after its oldest entry is a whole window old.
        until = max(now, reset_at) + MIN_WAIT_SECONDS
        if len(self._refused_until) >= _MAX_REFUSALS:
            self._refused_until = {k: t for k, t in self._refused_until.items() if t > now}
        self._refused_until[name] = until
        return until - now + _jitter()


class FallbackPacer:
    """``shared`` while it answers; ``local`` (this process's share) while it cannot be reached.

    Redis is a way to use the quotas fully, not something a worker may stop
    over: while it is away, each process paces alone with its static share
    (``jobs_process_count``), which stays under Google's quotas, and no job
    fails or waits for Redis. After ``retry_seconds`` one call tries Redis
    again (the others keep pacing locally meanwhile, so a Redis that is still
    away costs one timeout per retry, not one per job). Redis comes back with
    empty windows if it lost its data: for at most one window the processes
    may together pass a little more than the quota; Google's 403/429 and the
    backoff cover that.
    """

    def __init__(
        self,
        shared: QuotaPacer,
        local: QuotaPacer,
        *,
        retry_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._local = local
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._away_until: float | None = None

    @property
    def degraded(self) -> bool:
        with self._lock:
            return self._away_until is not None

    def acquire(self, key: uuid.UUID | None) -> float:
        if self._try_shared():
            try:
                wait = self._shared.acquire(key)
            except UNREACHABLE as error:
                self._went_away(error)
            else:
                self._came_back()
                return wait
        return self._local.acquire(key)

    def tokens_in_use(self) -> float:
        """The shared count while Redis answers, this process's own while it is away."""
        if not self.degraded:
            try:
                return self._shared.tokens_in_use()
            except UNREACHABLE:
                pass
        return self._local.tokens_in_use()

    def _try_shared(self) -> bool:
        with self._lock:
            if self._away_until is None:
                return True
            now = self._clock()
            if now < self._away_until:
                return False
            # This call probes; every other one stays local until the probe answers.
            self._away_until = now + self._retry_seconds
            return True

    def _went_away(self, error: Exception) -> None:
        with self._lock:
            first = self._away_until is None
            self._away_until = self._clock() + self._retry_seconds
        if first:
            logger.warning(
                "pacing.degraded reason=%s: Redis is unreachable; each worker process paces "
                "Google calls alone with its share of the quotas, retrying Redis every %.0f s",
                type(error).__name__,
                self._retry_seconds,
            )

    def _came_back(self) -> None:
        with self._lock:
            if self._away_until is None:
                return
            self._away_until = None
        logger.info("pacing.restored: Google calls are paced through Redis again")
