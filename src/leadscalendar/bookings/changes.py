"""Changes after booking: host approval, cancellation (with refund policy), rescheduling."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.availability import BusyInterval
from leadscalendar.bookings import mails, repository, webhook_events
from leadscalendar.bookings.errors import BookingStartedError, SlotTakenError
from leadscalendar.bookings.job_kinds import CREATE_EVENT, UPDATE_EVENT
from leadscalendar.bookings.models import Booking, CalendarChange
from leadscalendar.bookings.service import (
    enqueue_checkout_expiry,
    enqueue_event_creation,
    enqueue_event_deletion,
    enqueue_event_update,
    enqueue_refund,
    move,
    note,
)
from leadscalendar.bookings.slots import SlotContext
from leadscalendar.bookings.states import BookingStatus, check_transition
from leadscalendar.jobs import cancel_pending_for_subject


class Actor(enum.StrEnum):
    """Who asks for a change: the refund policy binds the lead, never the host."""

    LEAD = "lead"
    HOST = "host"


CancelledBy = Actor


# The timeline kind of a host's message to the lead, and how the lead's page introduces it.
HOST_MESSAGE = "host_message"
HOST_MESSAGE_LEAD_IN = "Message from the host: "


# Bookings whose calendar event exists or may be about to.
EVENT_STATUSES = frozenset({BookingStatus.PAID, BookingStatus.SCHEDULED})


def approve(session: Session, booking: Booking) -> Booking:
    booking.status_reason = None
    move(session, booking, BookingStatus.PAID, "approved by the host")
    enqueue_event_creation(session, booking)
    mails.booking_confirmed(session, booking)
    return booking


def decline(session: Session, booking: Booking, *, reason: str | None = None) -> Booking:
    """Decline a booking awaiting approval; ``reason`` is the host's message to the lead."""
    # The reason before the move: its webhook event carries the booking as it is then.
    booking.status_reason = "The host declined this booking; any payment is refunded in full."
    _host_message(session, booking, reason)
    move(session, booking, BookingStatus.DECLINED, "declined by the host")
    enqueue_refund(session, booking, "declined by the host")
    mails.booking_declined(session, booking)
    return booking


def _host_message(session: Session, booking: Booking, reason: str | None) -> None:
    """The host's own words to the lead: on the timeline (kind ``host_message``, for
    mails) and after the status reason the lead's page shows."""
    message = (reason or "").strip()
    if not message:
        return
    note(session, booking, HOST_MESSAGE, message)
    booking.status_reason = f"{booking.status_reason or ''} {HOST_MESSAGE_LEAD_IN}{message}".strip()


def refund_deadline(booking: Booking, cutoff_hours: int) -> datetime:
    """The last moment a lead's cancellation is refunded.

    Measured from the start the lead booked and paid for, or an earlier one
    they moved to, never a later one: rescheduling to next month and then
    cancelling does not buy back a refund the lead had already let pass.
    """
    return (booking.refund_policy_start_at or booking.start_at) - timedelta(hours=cutoff_hours)


def refund_due(booking: Booking, by: Actor, now: datetime, cutoff_hours: int) -> bool:
    """Hosts always refund; leads get their money back only before the policy's cut-off."""
    if by is Actor.HOST:
        return True
    return now <= refund_deadline(booking, cutoff_hours) and now < booking.start_at


def has_started(booking: Booking, now: datetime) -> bool:
    return booking.start_at <= now


def _refuse_started_for_lead(booking: Booking, by: Actor, now: datetime) -> None:
    if by is Actor.LEAD and has_started(booking, now):
        raise BookingStartedError()


def cancel(
    session: Session,
    booking: Booking,
    *,
    by: Actor,
    now: datetime,
    reason: str | None = None,
) -> Booking:
    """Cancel; the event (created, being created or never created) is removed by a job.

    A lead cannot cancel an appointment whose time has come (``BookingStartedError``);
    the host can, and always refunds. ``reason``: the host's message to the lead.
    """
    if booking.status is BookingStatus.CANCELLED:
        return booking
    _refuse_started_for_lead(booking, by, now)
    had_event = booking.status in EVENT_STATUSES
    booking_type = repository.get_booking_type_by_id(session, booking.booking_type_id)
    assert booking_type is not None
    booking.status_reason = f"Cancelled by the {by.value}."
    _settle_calendar_change(session, booking, by, "cancelled")
    _host_message(session, booking, reason)
    move(session, booking, BookingStatus.CANCELLED, f"cancelled by the {by.value}")
    if had_event:
        cancel_pending_for_subject(session, str(booking.id), kinds=[CREATE_EVENT, UPDATE_EVENT])
        enqueue_event_deletion(session, booking)
    # Unpaid with a checkout open: close it, so the lead who cancelled cannot still pay.
    enqueue_checkout_expiry(session, booking)
    if booking.paid_at is not None:
        if refund_due(booking, by, now, booking_type.refund_cutoff_hours):
            enqueue_refund(session, booking, f"cancelled by the {by.value}")
        else:
            note(session, booking, "no_refund", "cancelled after the refund cut-off")
    mails.booking_cancelled(session, booking, by=by.value, had_event=had_event)
    return booking


def reschedule(
    session: Session,
    booking: Booking,
    *,
    host: Host,
    new_start: datetime,
    busy: Sequence[BusyInterval],
    now: datetime,
    by: Actor,
) -> Booking:
    """Move to a new free slot; an existing event is patched in place (same id).

    A lead's move keeps the refund deadline of the earlier of the old and new
    starts; a host's move gives the lead the new start's deadline (the host
    changed the terms). A lead cannot move an appointment whose time has come.
    """
    if booking.status not in (*EVENT_STATUSES, BookingStatus.AWAITING_APPROVAL):
        check_transition(booking.status, BookingStatus.SCHEDULED)
    _refuse_started_for_lead(booking, by, now)
    booking_type = repository.get_booking_type_by_id(session, booking.booking_type_id)
    assert booking_type is not None
    repository.lock_host(session, host.id)
    new_end = new_start + timedelta(minutes=booking_type.duration_minutes)
    context = SlotContext(
        session,
        host,
        booking_type,
        busy=busy,
        now=now,
        window_start=new_start,
        window_end=new_end,
        exclude=booking.id,
    )
    if context.rejection(new_start) is not None:
        raise SlotTakenError("That time is not available; please pick another.")
    move_booking(session, booking, new_start=new_start, new_end=new_end, by=by)
    return booking


def move_booking(
    session: Session,
    booking: Booking,
    *,
    new_start: datetime,
    new_end: datetime,
    by: Actor,
    patch_event: bool = True,
) -> None:
    """Give a booking its new times: refund terms, timeline, calendar event and mails.

    The slot checks are the caller's. ``patch_event=False`` when the event is
    already at the new time (the host moved it in Google): patching it would
    only echo the host's own change back to them.
    """
    old_start = booking.start_at
    if by is Actor.LEAD:
        booking.refund_policy_start_at = min(booking.refund_policy_start_at or old_start, new_start)
    else:
        booking.refund_policy_start_at = None
    booking.start_at, booking.end_at = new_start, new_end
    _settle_calendar_change(session, booking, by, "moved")
    note(
        session, booking, "rescheduled", f"from {old_start.isoformat()} to {new_start.isoformat()}"
    )
    if patch_event and booking.status is BookingStatus.SCHEDULED:
        enqueue_event_update(session, booking)
    webhook_events.rescheduled(session, booking, old_start)
    # A PAID booking's pending create job reads the new times when it runs.
    mails.booking_rescheduled(session, booking, old_start=old_start, by=by.value)


def _settle_calendar_change(session: Session, booking: Booking, by: Actor, done: str) -> None:
    """A change in Google waiting for the host's decision is overtaken by this one."""
    if booking.calendar_change is None:
        return
    change = booking.calendar_change
    booking.clear_calendar_change()
    if change is CalendarChange.DELETED and by is Actor.HOST and done == "cancelled":
        detail = "the host confirmed the cancellation of the event deleted in Google Calendar"
        note(session, booking, "calendar_deletion_confirmed", detail)
        return
    note(
        session,
        booking,
        "calendar_change_settled",
        f"the event {change.value} in Google Calendar needs no decision any more: "
        f"the {by.value} {done} the booking",
    )
