"""Requests-per-minute quotas over a sliding window, per user and per project.

Off by default so ordinary tests never trip them; benchmarks turn them on with
Google's published defaults to see how the application copes.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

WINDOW_SECONDS = 60.0
GOOGLE_PER_USER_PER_MINUTE = 600
GOOGLE_PER_PROJECT_PER_MINUTE = 10_000

Exceeded = Literal["user", "project"]


class QuotaLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.per_user_per_minute: int | None = None
        self.per_project_per_minute: int | None = None
        self._user_calls: dict[str, deque[float]] = {}
        self._project_calls: deque[float] = deque()

    def configure(self, per_user: int | None, per_project: int | None) -> None:
        with self._lock:
            self.per_user_per_minute = per_user
            self.per_project_per_minute = per_project
            self._user_calls.clear()
            self._project_calls.clear()

    def reset(self) -> None:
        self.configure(None, None)

    def admit(self, user: str) -> Exceeded | None:
        """Count the call if both windows have room; otherwise say which is full.

        Refused calls are not counted, so a client that backs off recovers as
        soon as the window slides.
        """
        with self._lock:
            now = self._clock()
            user_calls = self._user_calls.setdefault(user, deque())
            for calls in (user_calls, self._project_calls):
                while calls and calls[0] <= now - WINDOW_SECONDS:
                    calls.popleft()
            if self.per_user_per_minute is not None and len(user_calls) >= self.per_user_per_minute:
                return "user"
            if (
                self.per_project_per_minute is not None
                and len(self._project_calls) >= self.per_project_per_minute
            ):
                return "project"
            user_calls.append(now)
            self._project_calls.append(now)
            return None

    def describe(self) -> dict[str, int | None]:
        return {
            "per_user_per_minute": self.per_user_per_minute,
            "per_project_per_minute": self.per_project_per_minute,
        }
