"""Abuse limits: hold attempts per client address, failed logins per address and e-mail.

Both are sliding windows kept in this process's memory. With several web
processes each keeps its own window, so the effective limit is the setting
times the number of processes (and a restart forgets the counts). A limit
shared by every process would need a store they all reach with an atomic
"add and count within the window" (a Redis sorted set with ZADD,
ZREMRANGEBYSCORE and ZCARD in one MULTI; or a table with one row per attempt,
counted under a row lock). The per-e-mail limit on active holds needs none of
this: it is counted in the database under the per-host lock, in
``bookings.service.create_hold``, so it is exact across processes.

Clients are told apart by ``request.client.host``. Behind a reverse proxy that
is the proxy's address unless uvicorn runs with ``--proxy-headers`` and
``--forwarded-allow-ips`` naming the proxy (``leadscalendar serve`` passes
``proxy_headers=True``; set ``FORWARDED_ALLOW_IPS``). We never read
``X-Forwarded-For`` ourselves: any client can write it. IPv6 clients are
keyed by their /64, the block one subscriber usually gets.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from leadscalendar.config import Settings
from leadscalendar.errors import RateLimitedError

# Forget idle keys every so many calls, so a scan of many addresses cannot grow memory forever.
SWEEP_EVERY_CALLS = 1024


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Seconds until one more event fits in the window (0 when allowed).
    retry_after_seconds: int


class SlidingWindowLimiter:
    """At most ``limit`` events per key within any ``window_seconds``; thread-safe."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def _window(self, key: Hashable, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        horizon = now - self.window_seconds
        while events and events[0] <= horizon:
            events.popleft()
        return events

    def _retry_after(self, events: deque[float], now: float) -> int:
        return max(1, math.ceil(events[0] + self.window_seconds - now))

    def _maybe_sweep(self, now: float) -> None:
        self._calls += 1
        if self._calls % SWEEP_EVERY_CALLS:
            return
        horizon = now - self.window_seconds
        for key in [k for k, events in self._events.items() if not events or events[-1] <= horizon]:
            del self._events[key]

    def check(self, key: Hashable) -> Decision:
        """Would one more event be allowed? Records nothing."""
        if not self.enabled:
            return Decision(True, 0)
        with self._lock:
            now = self._clock()
            events = self._window(key, now)
            if len(events) < self.limit:
                return Decision(True, 0)
            return Decision(False, self._retry_after(events, now))

    def hit(self, key: Hashable) -> Decision:
        """Record one event if it fits; the decision says whether it did."""
        if not self.enabled:
            return Decision(True, 0)
        with self._lock:
            now = self._clock()
            self._maybe_sweep(now)
            events = self._window(key, now)
            if len(events) >= self.limit:
                return Decision(False, self._retry_after(events, now))
            events.append(now)
            return Decision(True, 0)

    def record(self, key: Hashable) -> None:
        """Record an event whether or not it fits (a failure that already happened)."""
        if not self.enabled:
            return
        with self._lock:
            now = self._clock()
            self._maybe_sweep(now)
            self._window(key, now).append(now)

    def reset(self, key: Hashable) -> None:
        with self._lock:
            self._events.pop(key, None)


@dataclass(frozen=True)
class RateLimits:
    """The web process's limiters; one instance per application."""

    holds_per_ip: SlidingWindowLimiter
    failed_logins: SlidingWindowLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(
            holds_per_ip=SlidingWindowLimiter(settings.holds_per_ip_per_hour, 3600.0),
            failed_logins=SlidingWindowLimiter(
                settings.login_failures_per_window, float(settings.login_failure_window_seconds)
            ),
        )


_lazy_lock = threading.Lock()


def get_rate_limits(request: Request) -> RateLimits:
    """The app's limiters (``create_app`` makes them; built here for apps assembled otherwise)."""
    state = request.app.state
    limits = getattr(state, "rate_limits", None)
    if isinstance(limits, RateLimits):
        return limits
    with _lazy_lock:
        limits = getattr(state, "rate_limits", None)
        if not isinstance(limits, RateLimits):
            limits = RateLimits.from_settings(state.services.settings)
            state.rate_limits = limits
        return limits


def client_key(request: Request) -> str:
    """The client's address as the limits see it: IPv6 by its /64, unknown clients together."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


HOLD_LIMIT_MESSAGE = "Too many booking attempts from your network."


def retry_after_words(seconds: int) -> str:
    """``in about 12 minutes``: when a lead may try again, as a person would say it."""
    minutes = math.ceil(seconds / 60)
    if minutes <= 1:
        return "in a minute"
    return f"in about {minutes} minutes"


def hold_limited(retry_after_seconds: int) -> RateLimitedError:
    return RateLimitedError(
        f"{HOLD_LIMIT_MESSAGE} Please try again {retry_after_words(retry_after_seconds)}.",
        retry_after_seconds,
    )


def limit_holds(request: Request, limits: Annotated[RateLimits, Depends(get_rate_limits)]) -> None:
    """Dependency for every route that holds a slot (API and HTML form alike).

    Refuses a client already over the limit, without counting: the attempt is
    counted by ``count_hold_attempt`` once the request has passed validation,
    so a lead's typo in the form never costs one of their attempts.
    """
    decision = limits.holds_per_ip.check(client_key(request))
    if not decision.allowed:
        raise hold_limited(decision.retry_after_seconds)


def count_hold_attempt(request: Request) -> None:
    """Count one valid hold attempt from the client's address; refuse it over the limit.

    Counts every valid attempt, answered or not (a taken slot too), so a bot
    cannot cycle through the calendar by holding and abandoning slots. The
    per-e-mail limit is enforced where the hold is written, under the lock.
    """
    decision = get_rate_limits(request).holds_per_ip.hit(client_key(request))
    if not decision.allowed:
        raise hold_limited(decision.retry_after_seconds)


HoldRateLimit = Depends(limit_holds)
