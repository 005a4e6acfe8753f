"""Bookings follow what the host does to their events in Google Calendar.

Called by calendar sync for every changed event that carries our booking id
(``extendedProperties.private.leadscalendarBookingId``), inside the sync's
write transaction. The event is Google's resource as ``events.list`` returns
it (``status: cancelled`` for a deleted one).

Nothing here calls Google or the payment provider: what must happen there
(putting an event back, a refund) is a job enqueued in the caller's
transaction, and only after the host decided (``calendar_decisions``).

Only a ``scheduled`` booking that has not ended follows its event: before
that the event is ours in the making, after it the host's calendar is
history, and a cancelled booking's event is gone on purpose. Sync delivers
the same change more than once (a replayed page, a full resync); every branch
compares with what the booking already says, so a replay changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from leadscalendar.accounts.models import CalendarMovePolicy, Host
from leadscalendar.bookings import repository
from leadscalendar.bookings.changes import Actor, move_booking
from leadscalendar.bookings.models import Booking, CalendarChange
from leadscalendar.bookings.notices import format_when, mail_host_about
from leadscalendar.bookings.service import note
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.google.events import booking_id_of
from leadscalendar.notifications import MailTemplate
from leadscalendar.payments.money import format_money

logger = logging.getLogger(__name__)

# The timeline kind that says the host heard of the lead's decline (once per booking time).
LEAD_DECLINED = "calendar_lead_declined"


@dataclass(frozen=True)
class EventTimes:
    start: datetime
    end: datetime


def follow_calendar_event(
    session: Session, *, booking_id: uuid.UUID, event: Mapping[str, Any], now: datetime
) -> None:
    """Apply a change the host made in Google to the booking it belongs to.

    Deleted: the host is asked to cancel or restore. Moved: the booking takes
    the new time or the host is asked, by ``Host.calendar_move_policy``. The
    lead declined: the host is told once. An event still carrying the etag
    of our own last write, or at the booking's times, is no move at all; a
    copy older than our last write (Google's ``updated``) is ignored too.
    """
    booking = repository.get_booking(session, booking_id, for_update=True)
    if booking is None or not _follows(booking, booking_id, event, now):
        return
    if _older_than_ours(booking, event):
        return
    ours = bool(event.get("etag")) and event.get("etag") == booking.google_event_etag
    if event.get("status") == "cancelled":
        if not ours:
            _deleted(session, booking, event, now)
        return
    if not ours:
        _lead_response(session, booking, event)
    times = event_times(event)
    if times is None:
        # An all-day event has no time a booking could take: the booking keeps its own.
        logger.info("booking %s: its event became all-day in Google; not followed", booking.id)
        return
    if (times.start, times.end) == (booking.start_at, booking.end_at):
        # Also after our own write: it may have put back an event a question was about.
        _back_in_place(session, booking)
    elif not ours:
        _moved(session, booking, event, times, now)


def _follows(
    booking: Booking, booking_id: uuid.UUID, event: Mapping[str, Any], now: datetime
) -> bool:
    """Whether this event is the booking's current event, and the booking one that follows it.

    An event of another id (the one an account switch left behind, the first
    id after a restore under the second) says nothing about the booking.
    """
    if booking.status is not BookingStatus.SCHEDULED or booking.end_at <= now:
        return False
    if booking_id_of(event) not in (None, booking_id):
        return False
    return bool(booking.google_event_id) and event.get("id") == booking.google_event_id


def _older_than_ours(booking: Booking, event: Mapping[str, Any]) -> bool:
    """A copy of the event older than our own last write (a page read before it)."""
    try:
        updated = _instant(event.get("updated"))
    except ValueError:
        return False
    ours = booking.google_event_updated_at
    return updated is not None and ours is not None and updated < ours


def event_times(event: Mapping[str, Any]) -> EventTimes | None:
    """The event's start and end in UTC, or None for an all-day (or unreadable) event."""
    try:
        start = _instant((event.get("start") or {}).get("dateTime"))
        end = _instant((event.get("end") or {}).get("dateTime"))
    except ValueError:
        return None
    if start is None or end is None or end <= start:
        return None
    return EventTimes(start, end)


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("an event time without its offset")
    return moment.astimezone(UTC)


def _deleted(session: Session, booking: Booking, event: Mapping[str, Any], now: datetime) -> None:
    if booking.calendar_change is CalendarChange.DELETED:
        return  # asked already
    booking.calendar_change = CalendarChange.DELETED
    booking.calendar_change_start = booking.calendar_change_end = None
    booking.calendar_change_at = now
    note(
        session,
        booking,
        "calendar_deleted_by_host",
        "the event was deleted in Google Calendar; the booking is kept until the host "
        "cancels it or restores the event",
    )
    _ask_host(session, booking, event, "deleted", refund=_refund_words(booking))


def _refund_words(booking: Booking) -> str:
    """What a host's cancellation gives the lead: the host cancel path refunds in full."""
    if booking.paid_at is None or booking.amount_minor <= 0:
        return "nothing was paid, so nothing is refunded"
    return f"{format_money(booking.amount_minor, booking.currency)} is refunded in full"


def _moved(
    session: Session,
    booking: Booking,
    event: Mapping[str, Any],
    times: EventTimes,
    now: datetime,
) -> None:
    host = session.get(Host, booking.host_id)
    if host is not None and host.calendar_move_policy is CalendarMovePolicy.FOLLOW:
        booking.clear_calendar_change()
        note(
            session,
            booking,
            "calendar_followed",
            f"the event was moved in Google Calendar to {times.start.isoformat()}; "
            "the booking followed (host setting) and the lead is told",
        )
        follow_move(session, booking, times)
        return
    proposed = (booking.calendar_change_start, booking.calendar_change_end)
    if booking.calendar_change is CalendarChange.MOVED and proposed == (times.start, times.end):
        return  # asked already about this very time
    booking.calendar_change = CalendarChange.MOVED
    booking.calendar_change_start, booking.calendar_change_end = times.start, times.end
    booking.calendar_change_at = now
    note(
        session,
        booking,
        "calendar_moved_by_host",
        f"the event was moved in Google Calendar to {times.start.isoformat()}; the booking "
        "keeps its time until the host accepts the new one or puts the event back",
    )
    zone = host.timezone if host is not None else "UTC"
    _ask_host(session, booking, event, "moved", new_when=format_when(times.start, zone))


def follow_move(session: Session, booking: Booking, times: EventTimes) -> None:
    """The booking takes the time its event has in Google, as a host's reschedule does.

    No slot check (the host put it there) and no patch (the event is there).
    """
    move_booking(
        session,
        booking,
        new_start=times.start,
        new_end=times.end,
        by=Actor.HOST,
        patch_event=False,
    )


def _back_in_place(session: Session, booking: Booking) -> None:
    """The event is at the booking's time (again): a pending question has answered itself."""
    if booking.calendar_change is None:
        return
    change = booking.calendar_change.value
    booking.clear_calendar_change()
    note(
        session,
        booking,
        "calendar_change_settled",
        f"the event {change} in Google Calendar is back at the booked time; nothing to decide",
    )


def _lead_response(session: Session, booking: Booking, event: Mapping[str, Any]) -> None:
    """Tell the host once (per booking time) that the lead declined the invitation."""
    lead = booking.lead_email.casefold()
    declined = any(
        str(attendee.get("email", "")).casefold() == lead
        and attendee.get("responseStatus") == "declined"
        for attendee in event.get("attendees") or []
        if isinstance(attendee, Mapping)
    )
    if not declined or _told_of_decline(session, booking):
        return
    note(
        session,
        booking,
        LEAD_DECLINED,
        "the lead declined the calendar invitation in Google; the booking is unchanged",
    )
    _ask_host(session, booking, event, "declined")


def _told_of_decline(session: Session, booking: Booking) -> bool:
    """Whether the host heard of a decline since the booking last moved."""
    for entry in reversed(repository.timeline(session, booking.id)):
        if entry.kind == LEAD_DECLINED:
            return True
        if entry.kind == "rescheduled":
            return False
    return False


def _ask_host(
    session: Session, booking: Booking, event: Mapping[str, Any], change: str, **extra: str
) -> None:
    """The host's mail about the change; keyed by the event's version, so a replay mails nobody."""
    # Bounded: the key column holds 200 characters, and an etag is Google's to choose.
    version = str(event.get("etag") or event.get("updated") or "")[:100]
    mail_host_about(
        session,
        booking,
        MailTemplate.HOST_CALENDAR_CHANGE,
        dedupe_key=f"mail:calendar_{change}:{booking.id}:{version}",
        extra={"change": change, "new_when": "", "refund": "", **extra},
    )
