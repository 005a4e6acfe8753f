"""Moving upcoming bookings' events when the host reconnects as another Google account.

Reconnecting as a different account would otherwise strand every upcoming event
on the old account's calendar: later changes and cancellations would address
it with the new account's grant, get 404 and call it "already gone" while the
old event stays and the lead is never told. So the switch queues one move per
upcoming scheduled booking (recreate on the new account, delete from the old
one with the old grant, see ``account_move_tasks``) and every move ends either
moved or listed as left behind for the host.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.bookings.job_kinds import MOVE_EVENT
from leadscalendar.bookings.models import Booking, CalendarMove, MoveStatus
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.google.models import RetiredGrant
from leadscalendar.jobs import enqueue


@dataclass(frozen=True)
class MoveLine:
    """One row of the list the host sees after a switch."""

    booking_id: uuid.UUID
    lead_name: str
    start_at: datetime
    status: MoveStatus
    detail: str | None


def bookings_to_move(session: Session, host_id: uuid.UUID, now: datetime) -> Sequence[Booking]:
    """Upcoming bookings whose event sits on the connected account's calendar."""
    return session.scalars(
        select(Booking)
        .where(
            Booking.host_id == host_id,
            Booking.status == BookingStatus.SCHEDULED,
            Booking.end_at >= now,
            Booking.google_event_id.is_not(None),
        )
        .order_by(Booking.start_at)
    ).all()


def count_to_move(session: Session, host_id: uuid.UUID, now: datetime) -> int:
    """How many events a switch would move (what the reconnect page announces)."""
    return len(bookings_to_move(session, host_id, now))


def enqueue_moves(session: Session, retired: RetiredGrant, now: datetime) -> int:
    """One move (row and job, in the caller's transaction) per upcoming event; returns how many.

    The booking's event coordinates are copied into the move: the move job's
    own success rewrites them to the new calendar's.
    """
    count = 0
    for booking in bookings_to_move(session, retired.host_id, now):
        assert booking.google_event_id is not None
        move = CalendarMove(
            booking_id=booking.id,
            retired_grant_id=retired.id,
            from_calendar_id=booking.google_calendar_id or "primary",
            from_event_id=booking.google_event_id,
        )
        session.add(move)
        session.flush()
        # The new account has no event yet: the move job creates it under the booking's id.
        booking.google_calendar_id = None
        booking.google_event_id = None
        booking.google_event_link = None
        enqueue(
            session,
            MOVE_EVENT,
            {"move_id": str(move.id), "booking_id": str(booking.id)},
            subject_key=str(booking.id),
            host_id=booking.host_id,
            dedupe_key=f"move:{move.id}",
        )
        count += 1
    return count


def moves_of(session: Session, retired_id: uuid.UUID) -> list[MoveLine]:
    """What a switch moved, is moving, or left behind, soonest booking first."""
    rows = session.execute(
        select(CalendarMove, Booking)
        .join(Booking, Booking.id == CalendarMove.booking_id)
        .where(CalendarMove.retired_grant_id == retired_id)
        .order_by(Booking.start_at)
    ).all()
    return [
        MoveLine(booking.id, booking.lead_name, booking.start_at, move.status, move.detail)
        for move, booking in rows
    ]


def forget_grant_when_done(session: Session, retired_id: uuid.UUID) -> None:
    """Drop the old account's tokens once no move needs them any more.

    The grant's row is locked first: two moves finishing at once then decide one
    after the other, and the second sees the first's outcome (on PostgreSQL each
    would otherwise see the other still moving and neither forget the tokens).
    """
    retired = session.scalar(
        select(RetiredGrant)
        .where(RetiredGrant.id == retired_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    pending = session.scalar(
        select(CalendarMove.id)
        .where(
            CalendarMove.retired_grant_id == retired_id,
            CalendarMove.status == MoveStatus.MOVING,
        )
        .limit(1)
    )
    if pending is None and retired is not None:
        retired.token_ciphertext = None
