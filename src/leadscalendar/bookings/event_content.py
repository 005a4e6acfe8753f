"""What the host's calendar event says about a booking."""

from __future__ import annotations

from typing import Literal, cast

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.google.events import Attendee, EventSpec, Reminder

ReminderMethod = Literal["email", "popup"]


def event_spec_for(booking: Booking, booking_type: BookingType, host: Host) -> EventSpec:
    """The Google event for a booking; its id is derived from the booking's (invariant 1)."""
    lines = [f"Booked by {booking.lead_name} <{booking.lead_email}> via LeadsCalendar."]
    if booking.notes:
        lines += ["", "Notes from the lead:", booking.notes]
    attendees = [Attendee(booking.lead_email, booking.lead_name)]
    attendees += [Attendee(guest["email"], guest.get("name") or None) for guest in booking.guests]
    # events.validate checks the method and the minutes before anything is sent.
    reminders = (
        tuple(
            Reminder(cast(ReminderMethod, method), int(minutes))
            for method, minutes in booking_type.reminders
        )
        if booking_type.reminders is not None
        else None
    )
    return EventSpec(
        booking_id=booking.id,
        summary=f"{booking_type.title} with {booking.lead_name}",
        description="\n".join(lines),
        start=booking.start_at,
        end=booking.end_at,
        time_zone=host.timezone,
        attendees=tuple(attendees),
        location=booking_type.location,
        reminders=reminders,
        google_meet=booking_type.google_meet,
        send_updates=booking_type.send_updates.value,
    )
