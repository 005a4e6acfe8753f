"""The writes a bookings job's outcome carries, as named values (``jobs.Effect``).

The runner applies them, in order, in the transaction that records the job's
new state. Each re-reads and locks what it changes: the booking may have moved
on (cancelled, rescheduled) while the job was talking to Google.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from leadscalendar.bookings import repository, webhook_events
from leadscalendar.bookings.models import BookingEvent
from leadscalendar.bookings.service import enqueue_event_deletion
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.google import repository as google_repository
from leadscalendar.google.calendar import CalendarEvent
from leadscalendar.google.credentials import mark_needs_reauth


@dataclass(frozen=True)
class NoteOnBooking:
    """A timeline line; with ``as_reason``, also the booking's visible status reason."""

    name: ClassVar[str] = "booking.note"
    booking_id: uuid.UUID
    kind: str
    detail: str
    as_reason: bool = False

    def apply(self, session: Session) -> None:
        booking = repository.get_booking(session, self.booking_id, for_update=True)
        if booking is None:
            return
        if self.as_reason:
            booking.status_reason = self.detail
        session.add(BookingEvent(booking_id=self.booking_id, kind=self.kind, detail=self.detail))


@dataclass(frozen=True)
class NoteDelay:
    """A timeline line, and the visible reason while a paid booking waits for its event."""

    name: ClassVar[str] = "booking.note_delay"
    booking_id: uuid.UUID
    detail: str

    def apply(self, session: Session) -> None:
        booking = repository.get_booking(session, self.booking_id, for_update=True)
        if booking is None:
            return
        if booking.status is BookingStatus.PAID:
            booking.status_reason = self.detail
        session.add(
            BookingEvent(booking_id=self.booking_id, kind="calendar_delayed", detail=self.detail)
        )


@dataclass(frozen=True)
class RememberEtag:
    """Keep the etag of our own write, so calendar sync does not take it for the host's."""

    name: ClassVar[str] = "booking.remember_etag"
    booking_id: uuid.UUID
    event_id: str
    etag: str | None
    updated: datetime | None

    @classmethod
    def of(cls, booking_id: uuid.UUID, event: CalendarEvent) -> RememberEtag:
        return cls(booking_id, event.id, event.etag, event.updated)

    def apply(self, session: Session) -> None:
        booking = repository.get_booking(session, self.booking_id, for_update=True)
        if booking is not None and booking.google_event_id == self.event_id:
            booking.google_event_etag = self.etag
            booking.google_event_updated_at = self.updated


@dataclass(frozen=True)
class MarkConnectionNeedsReauth:
    """The host's Google connection needs re-consent (their pages and mails say so)."""

    name: ClassVar[str] = "google.mark_needs_reauth"
    host_id: uuid.UUID
    reason: str

    def apply(self, session: Session) -> None:
        connection = google_repository.get_connection(session, self.host_id, for_update=True)
        if connection is not None:
            mark_needs_reauth(connection, self.reason)


@dataclass(frozen=True)
class MarkScheduled:
    """The booking's event exists: store where, and move a paid booking to scheduled.

    A booking cancelled while Google was creating the event gets a deletion job
    instead; one already scheduled (an event put back) only takes the new ids.
    """

    name: ClassVar[str] = "booking.mark_scheduled"
    booking_id: uuid.UUID
    calendar_id: str
    event: CalendarEvent
    restored: bool = False

    def values(self) -> dict[str, Any]:
        return {
            "google_calendar_id": self.calendar_id,
            "google_event_id": self.event.id,
            "google_event_link": self.event.html_link,
            "meet_link": self.event.meet_link,
            # Our own write: calendar sync ignores it (bookings.calendar_follow).
            "google_event_etag": self.event.etag,
            "google_event_updated_at": self.event.updated,
        }

    def apply(self, session: Session) -> None:
        values = self.values()
        detail = "restored the event Google had kept" if self.restored else "event created"
        # The usual case, a paid booking, in two statements without loading it.
        if repository.schedule_if_paid(
            session, self.booking_id, values, "calendar_event_created", detail
        ):
            # Outbound webhooks carry the booking as it now is (already locked by the UPDATE).
            scheduled = repository.get_booking(session, self.booking_id, for_update=True)
            assert scheduled is not None
            webhook_events.status_changed(session, scheduled)
            return
        booking = repository.get_booking(session, self.booking_id, for_update=True)
        if booking is None:
            return
        for column, value in values.items():
            setattr(booking, column, value)
        if booking.status is BookingStatus.SCHEDULED:
            return  # an event put back for a booking already on the calendar
        # Cancelled while Google was creating the event: take the event away again.
        enqueue_event_deletion(session, booking)


@dataclass(frozen=True)
class TimelineLine:
    """A line on the booking's timeline only (its state and reason untouched)."""

    name: ClassVar[str] = "booking.timeline"
    booking_id: uuid.UUID
    kind: str
    detail: str

    def apply(self, session: Session) -> None:
        session.add(BookingEvent(booking_id=self.booking_id, kind=self.kind, detail=self.detail))
