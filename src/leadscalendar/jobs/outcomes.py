"""What a handler gets (a claimed job) and what it answers (an outcome).

Outcomes are frozen dataclasses: the handler decides, the runner acts. An
outcome's ``effects`` are the handler's database writes, each a small named
value; the runner applies them in order inside the very transaction that
records the job's new state, so "booking scheduled" and "job succeeded" commit
together or not at all. Named values rather than closures: a log line or a test
can say which writes an outcome carries, and with what.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session


class Effect(Protocol):
    """One database write committed atomically with the job's new state.

    Implementations are frozen dataclasses whose fields are the write's
    arguments and whose ``name`` (a class constant, e.g.
    ``"booking.mark_scheduled"``) appears in the ``job.finished`` log line.
    """

    @property
    def name(self) -> str: ...

    def apply(self, session: Session) -> None: ...


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
    effects: tuple[Effect, ...] = ()
    operation: str | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class Park:
    """Stop until a person acts; ``reason`` is shown to them, ``code`` drives resumption.

    ``code`` is a member of its domain's park-code enum (``jobs.JobParkCode``,
    ``bookings.park_codes.ParkCode``...): typed, so no loose string parks a job.
    ``reason_code`` is the remote side's short word for the failure (an API's
    error reason), kept on the attempt row; it is not a park code.
    """

    code: enum.StrEnum
    reason: str
    http_status: int | None = None
    reason_code: str | None = None
    operation: str | None = None
    effects: tuple[Effect, ...] = ()


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
    status and reason code), the job parks with ``give_up`` instead.
    """

    reason: str
    retry_after: float | None = None
    not_before: datetime | None = None
    http_status: int | None = None
    reason_code: str | None = None
    operation: str | None = None
    effects: tuple[Effect, ...] = ()
    transient: bool = False
    on_slow: tuple[Effect, ...] = ()
    give_up_after: int | None = None
    give_up: Park | None = None


Outcome = Succeeded | Retry | Park
_AnyOutcome = TypeVar("_AnyOutcome", Succeeded, Retry, Park)


def with_effects(outcome: _AnyOutcome, *effects: Effect) -> _AnyOutcome:
    """``outcome`` with ``effects`` applied after its own (in this order)."""
    return replace(outcome, effects=(*outcome.effects, *effects))


def effect_names(effects: tuple[Effect, ...]) -> str:
    """The effects' names as one log field, e.g. ``booking.note,mail.host_notice``."""
    return ",".join(effect.name for effect in effects) or "-"


def apply_effects(session: Session, effects: tuple[Effect, ...]) -> None:
    """Apply in order; one that raises is named on its exception (the runner logs it)."""
    for effect in effects:
        try:
            effect.apply(session)
        except Exception as error:
            error.add_note(f"while applying the job effect {effect.name}")
            raise
