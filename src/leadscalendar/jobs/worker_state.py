"""What a worker shares between its threads: its stats, the claims it holds, its free slots."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from leadscalendar.jobs.outcomes import ClaimedJob


@dataclass
class WorkerStats:
    """What one worker run did; safe to update from several threads."""

    claimed: int = 0
    succeeded: int = 0
    retried: int = 0
    parked: int = 0
    lease_lost: int = 0
    released: int = 0
    loop_errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, count: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + count)


class InFlight:
    """The claims this process holds, for the heartbeat."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claims: dict[uuid.UUID, ClaimedJob] = {}

    def add(self, claim: ClaimedJob) -> None:
        with self._lock:
            self._claims[claim.id] = claim

    def discard(self, claim: ClaimedJob) -> None:
        with self._lock:
            self._claims.pop(claim.id, None)

    def snapshot(self) -> list[ClaimedJob]:
        with self._lock:
            return list(self._claims.values())

    def holds(self, claim: ClaimedJob) -> bool:
        with self._lock:
            return self._claims.get(claim.id) is claim


class Slots:
    """Claimed jobs this process may hold: one running per thread plus as many ready.

    The claimer reserves free slots before claiming. It waits until half the
    threads' worth is free, so under a backlog each claim transaction takes
    a batch of jobs instead of the one that a thread just finished; the ready
    half keeps threads from idling while it does. Held jobs are leased and
    heartbeated, and handed back on stop.
    """

    def __init__(self, concurrency: int) -> None:
        self._free = 2 * concurrency
        self._batch = max(1, concurrency // 2)
        self._changed = threading.Condition()

    def reserve(self, timeout: float) -> int:
        """Wait up to ``timeout`` for a batch of free slots; reserve all free ones, say how many."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._free >= self._batch, timeout):
                return 0
            reserved, self._free = self._free, 0
            return reserved

    def give_back(self, count: int = 1) -> None:
        with self._changed:
            self._free += count
            self._changed.notify()
