"""What the lead's booking pages share: query parameters, URLs and a booking's view model."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Query, Request
from sqlalchemy.orm import Session

from leadscalendar import i18n
from leadscalendar.availability.display import Clock, format_local_time
from leadscalendar.availability.zones import load_zone
from leadscalendar.bookings import repository
from leadscalendar.bookings.changes import has_started, refund_deadline
from leadscalendar.bookings.errors import BookingStartedError
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.schemas import SlotsOut
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.services import Services
from leadscalendar.web import booking_flow, lead_views

Token = Annotated[
    str, Query(min_length=1, max_length=512, description="The booking's signed token.")
]
TzParam = Annotated[str | None, Query(max_length=64, description="The lead's IANA time zone.")]
ClockParam = Annotated[
    str | None, Query(max_length=2, description="The lead's clock: 12 or 24 (hours).")
]
MonthParam = Annotated[str | None, Query(max_length=7, description="The month shown: 2026-12.")]

HOLD_EXPIRED = i18n.N_(
    "Your hold on this time has expired, so it may have gone to someone else. "
    "Please pick a time again."
)
# The page follows the booking while one of these may change without the lead.
POLLED_STATUSES = frozenset({BookingStatus.AWAITING_PAYMENT, BookingStatus.PAID})
FINAL_STATUSES = frozenset(
    {
        BookingStatus.SCHEDULED,
        BookingStatus.EXPIRED,
        BookingStatus.CANCELLED,
        BookingStatus.DECLINED,
        BookingStatus.REFUNDED,
    }
)
CANCELLABLE = frozenset(
    {
        BookingStatus.HELD,
        BookingStatus.AWAITING_PAYMENT,
        BookingStatus.AWAITING_APPROVAL,
        BookingStatus.PAID,
        BookingStatus.SCHEDULED,
    }
)
RESCHEDULABLE = frozenset(
    {BookingStatus.AWAITING_APPROVAL, BookingStatus.PAID, BookingStatus.SCHEDULED}
)
# How the refund deadline is counted, in the words the README uses too.
DEADLINE_RULE = i18n.N_(
    "The deadline is counted from the time you booked and paid for: picking another "
    "time can bring it earlier, never later."
)


def refund_policy(booking: Booking, cutoff_hours: int, time_zone: str, now: datetime) -> str | None:
    """The refund rule as the lead's pages state it, for a paid booking still ahead."""
    if booking.paid_at is None or booking.amount_minor <= 0 or booking.status not in RESCHEDULABLE:
        return None
    deadline = refund_deadline(booking, cutoff_hours)
    when = f"{lead_views.slot_label(deadline, time_zone)} ({time_zone})"
    if now > deadline:
        rule = i18n.gettext(
            "The refund deadline, {when}, has passed: cancelling now refunds nothing."
        )
    else:
        rule = i18n.gettext(
            "Cancel before {when} for a full refund; after that, nothing is refunded."
        )
    return f"{rule.format(when=when)} {i18n.gettext(DEADLINE_RULE)}"


def lead_clock(request: Request, clock: str | None) -> Clock:
    """The clock the lead asked for, else their browser language's (``lead_views.clock_for``)."""
    return lead_views.clock_for(clock, request.headers.get("accept-language"))


def status_url(booking_id: uuid.UUID, token: str, **flags: str) -> str:
    extra = "".join(f"&{key}={quote(value)}" for key, value in flags.items())
    return f"/bookings/{booking_id}?token={quote(token)}{extra}"


def hold_expired(booking: Booking, now: datetime) -> bool:
    """A hold whose time ran out, whether or not a sweep has marked it expired yet."""
    return (
        booking.status is BookingStatus.HELD
        and booking.hold_expires_at is not None
        and booking.hold_expires_at <= now
    )


def slot_days(slots: SlotsOut) -> list[dict[str, Any]]:
    """The days with at least one free slot, labelled for the page."""
    return [
        {
            "label": lead_views.day_label(date.fromisoformat(day.date)),
            "slots": [{"start": slot.start.isoformat(), "label": slot.label} for slot in day.slots],
        }
        for day in slots.days
        if day.slots
    ]


def booking_context(
    services: Services, session: Session, booking: Booking, token: str, time_zone: str
) -> dict[str, Any]:
    """Everything the review, status, cancel and reschedule pages show about a booking."""
    out = booking_flow.booking_out(services, session, booking, with_token=False)
    host, booking_type = repository.host_and_type_of(session, booking)
    zone = load_zone(time_zone)
    hold_until = (
        format_local_time(booking.hold_expires_at.astimezone(zone))
        if booking.hold_expires_at
        else ""
    )
    when = lead_views.moment(booking.start_at, booking.end_at, time_zone)
    now = utcnow()
    started = has_started(booking, now)
    quoted = quote(token)
    base = f"/bookings/{booking.id}"
    title = f"{out.booking_type} with {out.host_name}"
    details_lines = [f"Booked with LeadsCalendar. Your booking: {_public(services, base, quoted)}"]
    if booking.meet_link:
        details_lines.insert(0, f"Google Meet: {booking.meet_link}")
    return {
        "booking": out,
        "status": booking.status.value,
        "host_name": out.host_name,
        "title": title,
        "when": when,
        "time_zone": time_zone,
        "price": i18n.format_price(booking.amount_minor, booking.currency),
        "lead_safe_reason": lead_views.lead_safe_reason(booking.status_reason),
        "token": token,
        "hold_until": hold_until,
        "pick_again_url": f"/{host.slug}/{booking_type.slug}?tz={quote(time_zone)}",
        "status_url": status_url(booking.id, token),
        "confirm_url": f"{base}/confirm",
        "cancel_url": f"{base}/cancel?token={quoted}",
        "reschedule_url": f"{base}/reschedule?token={quoted}",
        "ics_url": f"{base}/event.ics?token={quoted}",
        "api_url": f"/api/v1/public/bookings/{booking.id}?token={quoted}",
        "google_url": lead_views.google_calendar_url(
            title=title,
            start=booking.start_at,
            end=booking.end_at,
            details="\n".join(details_lines),
        ),
        "can_cancel": booking.status in CANCELLABLE and not started,
        "can_reschedule": booking.status in RESCHEDULABLE and not started,
        "started_message": BookingStartedError().message
        if started and booking.status in RESCHEDULABLE
        else None,
        "refund_policy": None
        if started
        else refund_policy(booking, booking_type.refund_cutoff_hours, time_zone, now),
        "final": booking.status in FINAL_STATUSES,
    }


def _public(services: Services, path: str, quoted_token: str) -> str:
    return f"{services.settings.public_url.rstrip('/')}{path}?token={quoted_token}"
