"""The host's answers to a change they made in Google Calendar (see ``calendar_follow``).

Moved: accept the new time (the booking follows, as a host's reschedule) or
put the event back at the booked time (a patch job). Deleted: restore the
event (the update job puts it back, or inserts it anew when Google has
forgotten it) or cancel, which is the host's ordinary cancellation
(``changes.cancel``: the policy's refund, the lead's mail) and settles the
question there. Each answer is one line of the booking's timeline; nothing
here calls Google.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.bookings.calendar_follow import EventTimes, follow_move
from leadscalendar.bookings.models import Booking, CalendarChange
from leadscalendar.bookings.service import enqueue_event_update, note
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.errors import ConflictError


class Decision(enum.StrEnum):
    ACCEPT = "accept"
    PUT_BACK = "put_back"
    RESTORE = "restore"


# Which answers fit which question.
_ANSWERS = {
    Decision.ACCEPT: CalendarChange.MOVED,
    Decision.PUT_BACK: CalendarChange.MOVED,
    Decision.RESTORE: CalendarChange.DELETED,
}


class NothingToDecideError(ConflictError):
    def __init__(self) -> None:
        super().__init__(
            "There is no change in Google Calendar waiting for your decision on this booking "
            "any more; the page you came from was out of date."
        )


def pending_change(booking: Booking) -> CalendarChange | None:
    """The question the host has to answer on this booking, if any."""
    if booking.status is not BookingStatus.SCHEDULED:
        return None
    return booking.calendar_change


def pending_bookings(
    session: Session, host_id: uuid.UUID, now: datetime, limit: int = 50
) -> Sequence[Booking]:
    """The host's upcoming bookings waiting for a decision about their event, soonest first.

    A question left unanswered until the booking is over no longer asks for
    the dashboard's attention; the booking's own page still shows it.
    """
    return session.scalars(
        select(Booking)
        .where(
            Booking.host_id == host_id,
            Booking.status == BookingStatus.SCHEDULED,
            Booking.calendar_change.is_not(None),
            Booking.end_at > now,
        )
        .order_by(Booking.start_at)
        .limit(limit)
    ).all()


def decide(session: Session, booking: Booking, decision: Decision) -> str:
    """Apply the host's answer (the booking locked by the caller); returns what was done."""
    change = pending_change(booking)
    if change is None or _ANSWERS[decision] is not change:
        raise NothingToDecideError()
    if decision is Decision.ACCEPT:
        start, end = booking.calendar_change_start, booking.calendar_change_end
        assert start is not None and end is not None
        booking.clear_calendar_change()
        note(session, booking, "calendar_change_accepted", "the host accepted the new time")
        follow_move(session, booking, EventTimes(start, end))
        return "The booking now has the new time; the lead is told."
    booking.clear_calendar_change()
    enqueue_event_update(session, booking)
    if decision is Decision.PUT_BACK:
        detail = f"the host put the event back at the booked time ({booking.start_at.isoformat()})"
        note(session, booking, "calendar_change_put_back", detail)
        return "The event is being put back at the booked time in your Google Calendar."
    note(session, booking, "calendar_restore_requested", "the host restored the deleted event")
    return "The event is being put back on your Google Calendar."
