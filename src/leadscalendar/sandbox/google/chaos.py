"""Injected trouble: latency, scripted responses, random faults.

Scripts make one specific failure happen on one specific call (e.g. Google
stores the event but the client sees a 503); faults make a seeded fraction of
calls fail, for soak tests and benchmarks.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

API_METHODS = (
    "events.insert",
    "events.get",
    "events.list",
    "events.patch",
    "events.delete",
    "freebusy.query",
    "calendarList.list",
    "calendarList.get",
    "calendars.get",
    "events.watch",
    "channels.stop",
)


@dataclass(frozen=True)
class ScriptedResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    after_apply: bool = False


class Chaos:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.latency_seconds = 0.0
            self._scripts: dict[str, deque[ScriptedResponse]] = {}
            self.fault_rate = 0.0
            self.fault_statuses: tuple[int, ...] = (503,)
            self.fault_methods: frozenset[str] | None = None
            self._random = random.Random(0)  # noqa: S311 - reproducible, not secret

    def set_latency(self, seconds: float) -> None:
        with self._lock:
            self.latency_seconds = max(0.0, seconds)

    def script(self, method: str, responses: list[ScriptedResponse]) -> int:
        with self._lock:
            queue = self._scripts.setdefault(method, deque())
            queue.extend(responses)
            return len(queue)

    def clear_scripts(self) -> None:
        with self._lock:
            self._scripts.clear()

    def next_script(self, method: str) -> ScriptedResponse | None:
        with self._lock:
            queue = self._scripts.get(method)
            return queue.popleft() if queue else None

    def pending_scripts(self) -> dict[str, int]:
        with self._lock:
            return {method: len(queue) for method, queue in self._scripts.items() if queue}

    def set_faults(
        self,
        rate: float,
        statuses: tuple[int, ...],
        seed: int | None,
        methods: frozenset[str] | None,
    ) -> None:
        with self._lock:
            self.fault_rate = min(1.0, max(0.0, rate))
            self.fault_statuses = statuses or (503,)
            self.fault_methods = methods
            self._random = random.Random(seed)  # noqa: S311 - reproducible, not secret

    def roll_fault(self, method: str) -> int | None:
        """The status to fail this call with, or None to let it through."""
        with self._lock:
            if self.fault_rate <= 0:
                return None
            if self.fault_methods is not None and method not in self.fault_methods:
                return None
            if self._random.random() >= self.fault_rate:
                return None
            return self._random.choice(self.fault_statuses)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency_seconds": self.latency_seconds,
                "faults": {
                    "rate": self.fault_rate,
                    "statuses": list(self.fault_statuses),
                    "methods": sorted(self.fault_methods) if self.fault_methods else None,
                },
            }
