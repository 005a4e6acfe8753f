"""Client-side pacing of Google calls: a token bucket per host and one for the project.

Google Calendar enforces per-user and per-project request rates (600/min and
10,000/min by default) and answers excess with 403 ``userRateLimitExceeded`` /
``rateLimitExceeded`` or 429. Staying under them is cheaper than backing off.

The buckets live in one process. Several worker processes (or machines) share
Google's quota without talking to each other, so each should be given its
share: pass ``process_count`` (the number of worker processes you run) and each
process allows ``rate / process_count``. Backoff on 403/429 still covers the
rest (an uneven split, a web process also calling Google).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from leadscalendar.config import Settings

# Past this many host buckets, full (idle) ones are forgotten to bound memory.
_MAX_IDLE_BUCKETS = 10_000


class Pacer(Protocol):
    def acquire(self, key: uuid.UUID | None) -> float:
        """Take a permit for ``key`` and return 0, or return seconds to wait before asking again."""
        ...


class TokenBucket:
    """Not thread-safe on its own; ``RateLimiter`` holds the lock."""

    def __init__(self, rate_per_second: float, capacity: float, now: float) -> None:
        self.rate = rate_per_second
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def wait_time(self) -> float:
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    @property
    def full(self) -> bool:
        return self.tokens >= self.capacity


class RateLimiter:
    """A thread-safe ``Pacer``: a call needs a token from its host's bucket and the project's."""

    def __init__(
        self,
        *,
        per_user_per_minute: float = 600.0,
        per_project_per_minute: float = 10_000.0,
        process_count: int = 1,
        burst_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_user_per_minute <= 0 or per_project_per_minute <= 0:
            raise ValueError("rates must be positive")
        if process_count < 1 or burst_seconds <= 0:
            raise ValueError("process_count must be >= 1 and burst_seconds > 0")
        self._user_rate = per_user_per_minute / 60.0 / process_count
        self._project_rate = per_project_per_minute / 60.0 / process_count
        self._burst_seconds = burst_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._project = TokenBucket(self._project_rate, self._capacity(self._project_rate), clock())
        self._users: dict[uuid.UUID, TokenBucket] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(
            per_user_per_minute=settings.google_rate_per_user_per_minute,
            per_project_per_minute=settings.google_rate_per_project_per_minute,
            process_count=settings.jobs_process_count,
        )

    def acquire(self, key: uuid.UUID | None) -> float:
        with self._lock:
            now = self._clock()
            buckets = [self._project]
            if key is not None:
                buckets.append(self._user_bucket(key, now))
            for bucket in buckets:
                bucket.refill(now)
            wait = max(bucket.wait_time() for bucket in buckets)
            if wait > 0:
                return wait
            for bucket in buckets:
                bucket.tokens -= 1.0
            return 0.0

    def tokens_in_use(self) -> float:
        """Project tokens taken and not yet refilled: how hard pacing presses now (metrics)."""
        with self._lock:
            self._project.refill(self._clock())
            return self._project.capacity - self._project.tokens

    def _capacity(self, rate: float) -> float:
        # At least one whole token, or a slow bucket could never grant anything.
        return max(1.0, rate * self._burst_seconds)

    def _user_bucket(self, key: uuid.UUID, now: float) -> TokenBucket:
        bucket = self._users.get(key)
        if bucket is None:
            if len(self._users) >= _MAX_IDLE_BUCKETS:
                self._forget_idle(now)
            bucket = TokenBucket(self._user_rate, self._capacity(self._user_rate), now)
            self._users[key] = bucket
        return bucket

    def _forget_idle(self, now: float) -> None:
        for key, bucket in list(self._users.items()):
            bucket.refill(now)
            if bucket.full:
                del self._users[key]
