"""What the host's calendar event says about a booking."""

from __future__ import annotations

from html import escape
from typing import Literal, cast

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.answers import format_answers
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.google.events import MAX_DESCRIPTION, Attendee, EventSpec, Reminder

ReminderMethod = Literal["email", "popup"]
ERASED_DESCRIPTION = "Booked via LeadsCalendar. The lead's details were erased at their request."
CUT_MARK = "\n… (shortened to fit Google Calendar; the full booking is on LeadsCalendar)"


def description_for(booking: Booking, booking_type: BookingType) -> str:
    """The event's description: who booked, the answers (if the host chose so), the notes.

    Google Calendar shows a description as HTML, so every piece (the lead's
    words, the host's question labels, even ``<address>``) is escaped: a lead
    cannot put a link or markup into the host's calendar. Escaping lengthens
    the text, so the limit is applied to the escaped result.
    """
    if booking.lead_erased_at is not None:
        return ERASED_DESCRIPTION
    lines = [f"Booked by {booking.lead_name} <{booking.lead_email}> via LeadsCalendar."]
    if booking_type.answers_in_event and booking.answers:
        lines += ["", "Answers:"]
        lines += [f"{label}: {text}" for label, text in format_answers(booking.answers)]
    if booking.notes:
        lines += ["", "Notes from the lead:", booking.notes]
    return fit_description(escape("\n".join(lines), quote=False))


def fit_description(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """``text`` cut to ``limit`` characters with a note saying so, never inside an entity."""
    if len(text) <= limit:
        return text
    kept = text[: limit - len(CUT_MARK)]
    ampersand = kept.rfind("&")
    if ampersand > kept.rfind(";"):
        kept = kept[:ampersand]  # "&am" would show as garbage: drop the broken entity
    return kept + CUT_MARK


def event_spec_for(booking: Booking, booking_type: BookingType, host: Host) -> EventSpec:
    """The Google event for a booking; its id is derived from the booking's (invariant 1)."""
    attendees = [Attendee(booking.lead_email, booking.lead_name)]
    attendees += [Attendee(guest["email"], guest.get("name") or None) for guest in booking.guests]
    if booking.lead_erased_at is not None:
        attendees = []  # a tombstone address is no one to invite
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
        description=description_for(booking, booking_type),
        start=booking.start_at,
        end=booking.end_at,
        time_zone=host.timezone,
        attendees=tuple(attendees),
        location=booking_type.location,
        reminders=reminders,
        google_meet=booking_type.google_meet,
        send_updates=booking_type.send_updates.value,
    )
