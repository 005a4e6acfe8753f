"""The host acting on a booking's event in the Google sandbox, and the sync handing it over.

The host's changes go through the Calendar API with the host's own grant, as
Google Calendar's own app would write them: the event gets a new etag, as a
host's edit does. ``deliver`` plays calendar sync: it reads the event as
``events.list`` keeps it (cancelled ones included) and hands it to
``follow_calendar_event`` in one transaction, as sync does.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from leadscalendar.bookings.calendar_follow import follow_calendar_event
from leadscalendar.bookings.models import BookingEvent
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.notifications.service import SEND_EMAIL
from tests.support.bookings_env import BookingsEnv


def current_event(env: BookingsEnv, booking_id: uuid.UUID) -> dict[str, Any]:
    """The booking's event as the sandbox holds it now (deleted ones too)."""
    event_id = env.booking(booking_id).google_event_id
    (event,) = [event for event in env.events_of(booking_id) if event["id"] == event_id]
    return event


def deliver(env: BookingsEnv, booking_id: uuid.UUID, event: dict[str, Any] | None = None) -> None:
    """Calendar sync hands the event (by default the current one) to the bookings domain."""
    event = event if event is not None else current_event(env, booking_id)
    with unit_of_work(env.services.session_factory) as session:
        follow_calendar_event(session, booking_id=booking_id, event=event, now=utcnow())


def host_moves(env: BookingsEnv, booking_id: uuid.UUID, by: timedelta) -> datetime:
    """The host drags the event ``by`` later in Google Calendar; returns the new start."""
    booking = env.booking(booking_id)
    start, end = booking.start_at + by, booking.end_at + by
    env.services.calendars.for_host(env.host_id).patch_event(
        booking.google_calendar_id or "primary",
        str(booking.google_event_id),
        {
            "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
            "end": {"dateTime": end.isoformat(), "timeZone": "UTC"},
        },
        send_updates="none",
    )
    return start


def host_deletes(env: BookingsEnv, booking_id: uuid.UUID) -> None:
    booking = env.booking(booking_id)
    env.services.calendars.for_host(env.host_id).delete_event(
        booking.google_calendar_id or "primary", str(booking.google_event_id), send_updates="none"
    )


def lead_declines(env: BookingsEnv, booking_id: uuid.UUID) -> None:
    """The lead's answer reaches the host's copy of the event: their responseStatus."""
    booking = env.booking(booking_id)
    attendees = [
        {**attendee, "responseStatus": "declined"}
        if attendee["email"] == booking.lead_email
        else attendee
        for attendee in current_event(env, booking_id).get("attendees", [])
    ]
    env.services.calendars.for_host(env.host_id).patch_event(
        booking.google_calendar_id or "primary",
        str(booking.google_event_id),
        {"attendees": attendees},
        send_updates="none",
    )


def timeline_kinds(env: BookingsEnv, booking_id: uuid.UUID) -> list[str]:
    with env.services.session_factory() as session:
        return list(
            session.scalars(
                select(BookingEvent.kind)
                .where(BookingEvent.booking_id == booking_id)
                .order_by(BookingEvent.at)
            )
        )


def mails_of(env: BookingsEnv, booking_id: uuid.UUID, template: str) -> list[dict[str, Any]]:
    """The payloads of the booking's queued (or sent) mails of ``template``."""
    return [
        job.payload
        for job in env.jobs(SEND_EMAIL, subject=booking_id)
        if job.payload.get("template") == template
    ]


def job_kinds(env: BookingsEnv, booking_id: uuid.UUID) -> list[str]:
    return [job.kind for job in env.jobs(subject=booking_id) if job.kind != SEND_EMAIL]
