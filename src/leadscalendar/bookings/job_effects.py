"""The writes a bookings job's outcome carries, as named values (``jobs.Effect``).

The runner applies them, in order, in the transaction that records the job's
new state. Each re-reads and locks what it changes: the booking may have moved
on (cancelled, rescheduled) while the job was talking to Google.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy.orm import Session

from leadscalendar.bookings import repository
from leadscalendar.bookings.models import BookingEvent
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
class TimelineLine:
    """A line on the booking's timeline only (its state and reason untouched)."""

    name: ClassVar[str] = "booking.timeline"
    booking_id: uuid.UUID
    kind: str
    detail: str

    def apply(self, session: Session) -> None:
        session.add(BookingEvent(booking_id=self.booking_id, kind=self.kind, detail=self.detail))
