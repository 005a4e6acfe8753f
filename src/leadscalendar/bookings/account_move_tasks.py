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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from google.auth.exceptions import RefreshError
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
from leadscalendar.google.errors import Action, Operation, classify
from leadscalendar.google.models import RetiredGrant
from leadscalendar.jobs import JobContext, Outcome, Retry, Succeeded
from leadscalendar.jobs.outcomes import Effect

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
    effects: list[Effect] = []
    if move.booking_scheduled:
        created = _create_on_new_account(ctx, deps, move.booking_id)
        if not isinstance(created, Succeeded):
            return created
        if created.apply is not None:
            effects.append(created.apply)
    removal = _remove_old_event(ctx, deps, move)
    if isinstance(removal, Retry):
        return removal
    status, detail = removal
    effects.append(_finish(move, status, detail))
    return Succeeded(
        f"move {move.move_id}: {status.value}",
        apply=_all(effects),
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


def _remove_old_event(
    ctx: JobContext, deps: TaskDependencies, move: _Move
) -> Retry | tuple[MoveStatus, str | None]:
    """Delete with the old grant: moved, left behind (with why), or try again later."""
    if move.token_ciphertext is None:
        return MoveStatus.LEFT_BEHIND, OLD_GRANT_REFUSED
    try:
        client = deps.calendars.for_retired(move.token_ciphertext)
    except RefreshError as error:
        outcome = classify(error, operation=Operation.TOKEN_REFRESH)
        if outcome.kind in _WAIT:
            return _wait_or_give_up(ctx, outcome.message)
        return MoveStatus.LEFT_BEHIND, OLD_GRANT_REFUSED
    except Exception as error:
        return _wait_or_give_up(ctx, classify(error, operation=Operation.TOKEN_REFRESH).message)
    try:
        # Everyone invited is told: the lead's copy of the old event goes away too.
        client.delete_event(move.from_calendar_id, move.from_event_id, send_updates="all")
    except Exception as error:
        outcome = classify(error, operation=Operation.EVENT_DELETE)
        if outcome.kind in _GONE:
            # Asked with the account that owned it: gone really means gone.
            return MoveStatus.MOVED, None
        if outcome.kind in _WAIT:
            return _wait_or_give_up(ctx, outcome.message)
        return MoveStatus.LEFT_BEHIND, OLD_CALENDAR_REFUSED
    return MoveStatus.MOVED, None


def _wait_or_give_up(ctx: JobContext, reason: str) -> Retry | tuple[MoveStatus, str | None]:
    if ctx.job.attempt >= min(REMOVAL_TRIES, ctx.job.max_attempts):
        return MoveStatus.LEFT_BEHIND, OLD_GOOGLE_UNREACHABLE
    return Retry(reason=reason, operation="events.delete")


def _finish(move: _Move, status: MoveStatus, detail: str | None) -> Effect:
    def apply(session: Session) -> None:
        row = session.get(CalendarMove, move.move_id)
        if row is None or row.status is not MoveStatus.MOVING:
            return
        row.status = status
        row.detail = detail
        row.finished_at = utcnow()
        if status is MoveStatus.MOVED:
            line = (
                "calendar_event_moved_account",
                f"event removed from {move.old_email}'s calendar",
            )
        else:
            line = ("calendar_event_left_behind", detail or "")
        session.add(BookingEvent(booking_id=move.booking_id, kind=line[0], detail=line[1]))
        session.flush()
        forget_grant_when_done(session, move.retired_id)

    return apply


def _all(effects: Sequence[Effect]) -> Effect:
    def apply(session: Session) -> None:
        for effect in effects:
            effect(session)

    return apply
