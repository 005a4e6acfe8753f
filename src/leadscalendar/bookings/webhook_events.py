"""Booking changes as outbound webhook events: which change is which event, and its payload.

Called where bookings change state (``service.move``, the scheduled mark in
``tasks``, ``changes.reschedule``), in the change's transaction, so the event
and its delivery jobs commit with the change (webhooks_out is the outbox's
user here). The payload is the booking as it is at that moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadscalendar.bookings import repository
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.webhooks_out import service as webhooks
from leadscalendar.webhooks_out.models import EventType
from leadscalendar.webhooks_out.schemas import WebhookBooking

STATUS_EVENTS: dict[BookingStatus, EventType] = {
    BookingStatus.PAID: EventType.BOOKING_PAID,
    BookingStatus.SCHEDULED: EventType.BOOKING_SCHEDULED,
    BookingStatus.AWAITING_APPROVAL: EventType.BOOKING_AWAITING_APPROVAL,
    BookingStatus.CANCELLED: EventType.BOOKING_CANCELLED,
    BookingStatus.REFUNDED: EventType.BOOKING_REFUNDED,
    BookingStatus.DECLINED: EventType.BOOKING_DECLINED,
}


def booking_snapshot(
    session: Session, booking: Booking, *, previous_start: datetime | None = None
) -> dict[str, Any]:
    """The payload's ``data``: JSON of the booking as it is now."""
    booking_type = session.get(BookingType, booking.booking_type_id)
    assert booking_type is not None
    snapshot = WebhookBooking.model_validate(
        {
            "id": str(booking.id),
            "status": booking.status.value,
            "status_reason": booking.status_reason,
            "start": booking.start_at,
            "end": booking.end_at,
            "booking_type": {
                "id": str(booking_type.id),
                "slug": booking_type.slug,
                "title": booking_type.title,
            },
            "lead": {
                "name": booking.lead_name,
                "email": booking.lead_email,
                "time_zone": booking.lead_time_zone,
                "language": booking.lead_language,
                "notes": booking.notes,
                "guests": booking.guests or [],
            },
            "answers": booking.answers or [],
            "source": {key: value for key, value in (booking.source or {}).items() if value},
            "amount_minor": booking.amount_minor,
            "currency": booking.currency,
            "paid_at": booking.paid_at,
            "google_event_link": booking.google_event_link,
            "meet_link": booking.meet_link,
            "created_at": booking.created_at or utcnow(),
            "previous_start": previous_start,
        }
    )
    data: dict[str, Any] = snapshot.model_dump(mode="json")
    return data


def status_changed(session: Session, booking: Booking) -> None:
    """Emit the event of the booking's new status, if that status has one."""
    event_type = STATUS_EVENTS.get(booking.status)
    if event_type is not None:
        _emit(
            session,
            booking.host_id,
            booking.id,
            event_type,
            lambda: booking_snapshot(session, booking),
        )


def status_changed_in_place(
    session: Session, booking_id: uuid.UUID, host_id: uuid.UUID, status: BookingStatus
) -> None:
    """``status_changed`` for a change made by an UPDATE, without the booking loaded.

    The booking (locked by that UPDATE) is loaded only if an endpoint listens.
    """
    event_type = STATUS_EVENTS.get(status)
    if event_type is None:
        return

    def snapshot() -> dict[str, Any]:
        booking = repository.get_booking(session, booking_id, for_update=True)
        assert booking is not None  # the caller's UPDATE just changed it
        return booking_snapshot(session, booking)

    _emit(session, host_id, booking_id, event_type, snapshot)


def rescheduled(session: Session, booking: Booking, previous_start: datetime) -> None:
    data = booking_snapshot(session, booking, previous_start=previous_start)
    _emit(session, booking.host_id, booking.id, EventType.BOOKING_RESCHEDULED, lambda: data)


def _emit(
    session: Session,
    host_id: uuid.UUID,
    booking_id: uuid.UUID,
    event_type: EventType,
    data: Callable[[], dict[str, Any]],
) -> None:
    webhooks.emit(session, host_id=host_id, booking_id=booking_id, event_type=event_type, data=data)
