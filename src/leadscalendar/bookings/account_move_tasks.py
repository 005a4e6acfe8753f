"""The job that moves one booking's event to the Google account the host switched to.

Create first, then delete: the lead receives the new invitation before the old
event is cancelled, and a crash between the two repeats the create (409 on our
own id means done) and tries the delete again. The delete uses the old
account's grant; when that account refuses or cannot be reached for good, the
event is listed as left behind, never assumed gone.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy.orm import Session

from leadscalendar.bookings import repository
from leadscalendar.bookings.account_moves import forget_grant_when_done
from leadscalendar.bookings.calendar_tasks import (
    OUTCOME_TYPES,
    _client,
    _EventPlan,
    _insert,
    _plan_event,
)
from leadscalendar.bookings.models import BookingEvent, CalendarMove, MoveStatus
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.google.errors import Action, GoogleOutcome, Operation
from leadscalendar.google.job_calls import calling_google
from leadscalendar.google.models import RetiredGrant
from leadscalendar.jobs import Effect, JobContext, Outcome, Retry, Succeeded

if TYPE_CHECKING:
    from leadscalendar.bookings.tasks import TaskDependencies

logger = logging.getLogger(__name__)

# Failures only time fixes get this many attempts before the event is listed as
# left behind: the host can remove one event by hand, but must hear about it.
REMOVAL_TRIES = 6
_WAIT = frozenset(
    {
        Action.BACKOFF,
        Action.BACKOFF_UNTIL,
        Action.BACKOFF_LONG,
        Action.UNKNOWN,
        Action.PRECONDITION,
        Action.REFRESH_AND_RETRY,
    }
)
_GONE = frozenset({Action.EVENT_GONE, Action.CALENDAR_GONE})

OLD_GRANT_REFUSED = (
    "The previous Google account no longer lets LeadsCalendar in, so this event is still on "
    "its calendar. Remove it there yourself."
)
OLD_CALENDAR_REFUSED = (
    "The previous Google account did not let LeadsCalendar remove this event. Remove it "
    "from that calendar yourself."
)
OLD_GOOGLE_UNREACHABLE = (
    "Google could not be reached to remove this event from the previous account. Remove it "
    "from that calendar yourself."
)


@dataclass(frozen=True)
class _Move:
    move_id: uuid.UUID
    retired_id: uuid.UUID
    booking_id: uuid.UUID
    from_calendar_id: str
    from_event_id: str
    token_ciphertext: bytes | None
    old_email: str
    booking_scheduled: bool


def _read_move(ctx: JobContext) -> _Move | Succeeded:
    move_id = uuid.UUID(ctx.job.payload["move_id"])
    with ctx.read() as session:
        move = session.get(CalendarMove, move_id)
        if move is None or move.status is not MoveStatus.MOVING:
            return Succeeded("nothing to do: the move is over")
        retired = session.get(RetiredGrant, move.retired_grant_id)
        booking = repository.get_booking(session, move.booking_id)
        return _Move(
            move_id=move.id,
            retired_id=move.retired_grant_id,
            booking_id=move.booking_id,
            from_calendar_id=move.from_calendar_id,
            from_event_id=move.from_event_id,
            token_ciphertext=retired.token_ciphertext if retired else None,
            old_email=(retired.google_email if retired else None) or "the previous account",
            booking_scheduled=booking is not None and booking.status is BookingStatus.SCHEDULED,
        )


def move_calendar_event(ctx: JobContext, deps: TaskDependencies) -> Outcome:
    """Recreate the booking's event on the new account, then delete it from the old one."""
    move = _read_move(ctx)
    if isinstance(move, Succeeded):
        return move
    effects: tuple[Effect, ...] = ()
    if move.booking_scheduled:
        created = _create_on_new_account(ctx, deps, move.booking_id)
        if not isinstance(created, Succeeded):
            return created
        effects = created.effects
    removal = _remove_old_event(ctx, deps, move)
    if isinstance(removal, Retry):
        return removal
    status, detail = removal
    return Succeeded(
        f"move {move.move_id}: {status.value}",
        effects=(
            *effects,
            FinishMove(
                move.move_id, move.booking_id, move.retired_id, move.old_email, status, detail
            ),
        ),
        operation="events.delete",
    )


def _create_on_new_account(
    ctx: JobContext, deps: TaskDependencies, booking_id: uuid.UUID
) -> Outcome:
    plan = _plan_event(ctx, deps, booking_id, BookingStatus.SCHEDULED)
    if not isinstance(plan, _EventPlan):
        return plan
    client = _client(deps, plan)
    if isinstance(client, OUTCOME_TYPES):
        return client
    return _insert(client, plan, plan.spec.event_id, restored=False)


_Removal = Retry | tuple[MoveStatus, str | None]


@dataclass(frozen=True)
class _RemovalPolicy:
    """The ``google.job_calls.FailurePolicy`` of removing the old event with the old grant.

    Gone means moved (asked with the account that owned it, gone really means
    gone); what only time fixes waits, up to ``REMOVAL_TRIES``; anything else
    leaves the event behind with ``refused`` as the host's reason.
    """

    attempt: int
    max_attempts: int
    refused: str

    def not_connected(self) -> _Removal:
        return MoveStatus.LEFT_BEHIND, OLD_GRANT_REFUSED

    def needs_reauth(self, reason: str | None) -> _Removal:
        return MoveStatus.LEFT_BEHIND, OLD_GRANT_REFUSED

    def failed(self, failure: GoogleOutcome) -> _Removal:
        if failure.kind in _GONE:
            return MoveStatus.MOVED, None
        if failure.kind not in _WAIT:
            return MoveStatus.LEFT_BEHIND, self.refused
        if self.attempt >= min(REMOVAL_TRIES, self.max_attempts):
            return MoveStatus.LEFT_BEHIND, OLD_GOOGLE_UNREACHABLE
        return Retry(reason=failure.message, operation="events.delete")


def _remove_old_event(ctx: JobContext, deps: TaskDependencies, move: _Move) -> _Removal:
    """Delete with the old grant: moved, left behind (with why), or try again later."""
    if move.token_ciphertext is None:
        return MoveStatus.LEFT_BEHIND, OLD_GRANT_REFUSED
    job = ctx.job
    with calling_google(
        Operation.TOKEN_REFRESH, _RemovalPolicy(job.attempt, job.max_attempts, OLD_GRANT_REFUSED)
    ) as call:
        client = deps.calendars.for_retired(move.token_ciphertext)
    if call.failed:
        return call.answer()
    with calling_google(
        Operation.EVENT_DELETE, _RemovalPolicy(job.attempt, job.max_attempts, OLD_CALENDAR_REFUSED)
    ) as call:
        # Everyone invited is told: the lead's copy of the old event goes away too.
        client.delete_event(move.from_calendar_id, move.from_event_id, send_updates="all")
    return call.answer() if call.failed else (MoveStatus.MOVED, None)


@dataclass(frozen=True)
class FinishMove:
    """End the move: its status, a timeline line, and the old grant once no move needs it."""

    name: ClassVar[str] = "calendar_move.finish"
    move_id: uuid.UUID
    booking_id: uuid.UUID
    retired_id: uuid.UUID
    old_email: str
    status: MoveStatus
    detail: str | None

    def apply(self, session: Session) -> None:
        row = session.get(CalendarMove, self.move_id)
        if row is None or row.status is not MoveStatus.MOVING:
            return
        row.status = self.status
        row.detail = self.detail
        row.finished_at = utcnow()
        if self.status is MoveStatus.MOVED:
            line = (
                "calendar_event_moved_account",
                f"event removed from {self.old_email}'s calendar",
            )
        else:
            line = ("calendar_event_left_behind", self.detail or "")
        session.add(BookingEvent(booking_id=self.booking_id, kind=line[0], detail=line[1]))
        session.flush()
        forget_grant_when_done(session, self.retired_id)
