"""Counters of what the Calendar API was asked and what it answered.

Benchmarks read these to report, e.g., how many rate-limit errors the
application received and whether it kept retrying within reason.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._calls: Counter[str] = Counter()
            self._errors_by_status: Counter[str] = Counter()
            self._errors_by_reason: Counter[str] = Counter()
            self._errors_by_method: Counter[str] = Counter()
            self._rate_limit_errors = 0

    def record(self, method: str, status: int, reason: str | None) -> None:
        with self._lock:
            self._calls[method] += 1
            if status < 400:
                return
            self._errors_by_status[str(status)] += 1
            self._errors_by_method[method] += 1
            if reason:
                self._errors_by_reason[reason] += 1
            if status == 429 or reason in RATE_LIMIT_REASONS:
                self._rate_limit_errors += 1

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "total_calls": sum(self._calls.values()),
                "errors": {
                    "by_status": dict(self._errors_by_status),
                    "by_reason": dict(self._errors_by_reason),
                    "by_method": dict(self._errors_by_method),
                    "total": sum(self._errors_by_status.values()),
                },
                "rate_limit_errors": self._rate_limit_errors,
            }
