"""What a handler gets (a claimed job) and what it answers (an outcome).

Outcomes are frozen dataclasses: the handler decides, the runner acts. The
optional ``apply`` callback carries the handler's database writes; the runner
calls it inside the very transaction that records the job's new state, so
"booking scheduled" and "job succeeded" commit together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

# Database writes to commit atomically with the job's new state.
Effect = Callable[[Session], None]


@dataclass(frozen=True)
class ClaimedJob:
    """A detached snapshot of a job a worker holds a lease on."""

    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    subject_key: str
    host_id: uuid.UUID | None
    # 1 on the first try: the attempt this claim is.
    attempt: int
    max_attempts: int
    lease_owner: str
    lease_expires_at: datetime
    # When the job was enqueued: the start of its latency (metrics).
    enqueued_at: datetime | None = None


@dataclass(frozen=True)
class Succeeded:
    detail: str = ""
    apply: Effect | None = None
    operation: str | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class Park:
    """Stop until a person acts; ``reason`` is shown to them, ``code`` drives resumption."""

    code: str
    reason: str
    http_status: int | None = None
    google_reason: str | None = None
    operation: str | None = None
    apply: Effect | None = None


@dataclass(frozen=True)
class Retry:
    """Try again later: after backoff, never before ``retry_after`` seconds or ``not_before``.

    ``transient`` marks a failure that only time fixes (the remote side is down
    or slowing us down): once the job's attempts are spent it keeps retrying at
    the policy's slow interval instead of parking, because no person can do
    anything about it and the work must still happen when the remote side is
    back. ``on_slow`` holds writes applied once, in the attempt that moves the
    job into that slow phase: the place to tell a person, once.

    ``give_up_after`` bounds a failure that may be a person's problem: after
    that many attempts in a row ending in this same failure (same operation,
    status and reason), the job parks with ``give_up`` instead.
    """

    reason: str
    retry_after: float | None = None
    not_before: datetime | None = None
    http_status: int | None = None
    google_reason: str | None = None
    operation: str | None = None
    apply: Effect | None = None
    transient: bool = False
    on_slow: Effect | None = None
    give_up_after: int | None = None
    give_up: Park | None = None


Outcome = Succeeded | Retry | Park
