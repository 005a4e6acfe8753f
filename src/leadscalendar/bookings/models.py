"""Booking types, the host's weekly schedule, bookings and their timeline."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import Base, IdMixin, TimestampMixin, str_enum, utcnow


class SendUpdates(enum.StrEnum):
    """Who Google e-mails about the event (events.insert ``sendUpdates``)."""

    ALL = "all"
    EXTERNAL_ONLY = "externalOnly"
    NONE = "none"


class CalendarChange(enum.StrEnum):
    """A change the host made to a booking's event in Google that waits for their decision."""

    MOVED = "moved"
    DELETED = "deleted"


class BookingType(IdMixin, TimestampMixin, Base):
    __tablename__ = "booking_types"
    __table_args__ = (UniqueConstraint("host_id", "slug"),)

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int]
    # Minor units (cents); 0 makes the type free.
    price_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="eur")
    location: Mapped[str | None] = mapped_column(String(1024))
    google_meet: Mapped[bool] = mapped_column(default=False)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    min_notice_minutes: Mapped[int] = mapped_column(default=120)
    max_days_ahead: Mapped[int] = mapped_column(default=60)
    slot_step_minutes: Mapped[int] = mapped_column(default=30)
    daily_limit: Mapped[int | None]
    # None: the calendar chosen on the host's Google connection.
    calendar_id: Mapped[str | None] = mapped_column(String(1024))
    send_updates: Mapped[SendUpdates] = mapped_column(
        str_enum(SendUpdates), default=SendUpdates.ALL
    )
    # [[method, minutes], ...]; None keeps the calendar's default reminders.
    reminders: Mapped[list[list[Any]] | None] = mapped_column(JSON)
    # Minutes before the start at which we e-mail the lead a reminder (and the host,
    # with remind_host); our own mail, apart from Google's reminders above.
    mail_reminder_minutes: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: [1440, 60], server_default=text("'[1440, 60]'")
    )
    remind_host: Mapped[bool] = mapped_column(default=False, server_default=false())
    hold_minutes: Mapped[int] = mapped_column(default=30)
    # Cancelling at least this long before the start refunds in full; later, nothing.
    refund_cutoff_hours: Mapped[int] = mapped_column(default=24)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # The intake questions, in the host's order (``bookings.questions.StoredQuestion``).
    questions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    # Whether the lead's answers go into the Google event's description.
    answers_in_event: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def is_free(self) -> bool:
        return self.price_minor == 0


class Schedule(IdMixin, TimestampMixin, Base):
    """Weekly working hours and date overrides, in the host's time zone."""

    __tablename__ = "schedules"

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), unique=True
    )
    # {"0": [["09:00", "17:00"]], ...}: ISO weekday 0=Monday -> local intervals.
    weekly: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON)
    # {"2026-12-24": []}: a local date -> its intervals (empty: day off).
    overrides: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)


class AvailabilityVersion(Base):
    """A number that changes whenever what a host's slot pages offer may have changed.

    Database triggers (migration ``669142380ebd``) bump it in the same
    transaction as every write that changes a host's availability: bookings
    taking or freeing time, booking types, schedules, the host's zone and
    slug, the Google connection and the busy-time mirror. Because the database
    keeps it, a write made by any process (a worker, another web process, a
    bulk statement, an operator's SQL) invalidates every process's cached slot
    answers (``bookings.slot_cache``) at its commit, and none can forget to.
    """

    __tablename__ = "availability_versions"

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class Booking(IdMixin, TimestampMixin, Base):
    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_host_id_start_at", "host_id", "start_at"),)

    host_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    booking_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("booking_types.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus), index=True)
    # Why the booking is where it is, in words for the host and the lead.
    status_reason: Mapped[str | None] = mapped_column(Text)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    # The lead's IANA zone, for their pages and e-mails.
    lead_time_zone: Mapped[str] = mapped_column(String(64))
    lead_name: Mapped[str] = mapped_column(String(200))
    lead_email: Mapped[str] = mapped_column(String(320))
    # The language of the page the lead booked on (``en``, ``de``): their e-mails speak it.
    lead_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    notes: Mapped[str] = mapped_column(Text, default="")
    # [{"email": ..., "name": ...}]
    guests: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # The intake answers with their questions as asked (``bookings.answers.StoredAnswer``):
    # [{"question_id", "label", "type", "value"}], rendered by ``answers.format_answers``.
    answers: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    # Where the lead came from: utm_source, utm_medium, utm_campaign, utm_term,
    # utm_content, ref, referrer (only those given; ``lead_source.format_source``).
    source: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    # When the lead's data was erased on request (``leads.service.erase_lead``): the
    # lead fields hold tombstones, and no mail, event or export names the lead again.
    lead_erased_at: Mapped[datetime | None]
    hold_expires_at: Mapped[datetime | None]
    amount_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="eur")
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), index=True)
    checkout_url: Mapped[str | None] = mapped_column(Text)
    # Chosen once, at the first attempt to start the checkout, and sent unchanged on
    # every retry: Stripe refuses an idempotency key reused with other parameters.
    checkout_started_at: Mapped[datetime | None]
    checkout_expires_at: Mapped[datetime | None]
    # The lead completed checkout with a delayed method (a bank debit): the slot stays
    # theirs until the provider says whether the money came (bounded, see payment_events).
    payment_pending_since: Mapped[datetime | None]
    # Whether the checkout was live or test mode: a paid event must say the same.
    checkout_livemode: Mapped[bool | None]
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    paid_at: Mapped[datetime | None]
    # The start the refund cut-off is measured against (None: ``start_at``). A lead's
    # reschedule never moves it later, so moving a booking cannot buy back a refund.
    refund_policy_start_at: Mapped[datetime | None]
    google_calendar_id: Mapped[str | None] = mapped_column(String(1024))
    google_event_id: Mapped[str | None] = mapped_column(String(1024))
    google_event_link: Mapped[str | None] = mapped_column(Text)
    meet_link: Mapped[str | None] = mapped_column(Text)
    # The etag Google gave our own last write of the event: calendar sync hands it
    # back, and an event still carrying it changed nothing the host did.
    google_event_etag: Mapped[str | None] = mapped_column(String(255))
    # Google's ``updated`` of that write: a copy of the event older than it is stale.
    google_event_updated_at: Mapped[datetime | None]
    # The host moved or deleted the event in Google and has not decided yet what the
    # booking does (bookings.calendar_follow); the booking keeps its time meanwhile.
    calendar_change: Mapped[CalendarChange | None] = mapped_column(str_enum(CalendarChange))
    # Where the host moved the event (with ``moved``): the time they may accept.
    calendar_change_start: Mapped[datetime | None]
    calendar_change_end: Mapped[datetime | None]
    calendar_change_at: Mapped[datetime | None]

    def clear_calendar_change(self) -> None:
        """Nothing left to decide about the event in Google (decided, or overtaken)."""
        self.calendar_change = None
        self.calendar_change_start = self.calendar_change_end = self.calendar_change_at = None


class BookingEvent(IdMixin, Base):
    """One line of a booking's timeline: append-only, never updated."""

    __tablename__ = "booking_events"

    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")


class MoveStatus(enum.StrEnum):
    MOVING = "moving"
    # On the new account's calendar, and removed from the old one.
    MOVED = "moved"
    # The old account's event could not be removed: the host is shown it, to remove by hand.
    LEFT_BEHIND = "left_behind"


class CalendarMove(IdMixin, Base):
    """One booking's event moving from a Google account the host left to the new one."""

    __tablename__ = "calendar_moves"

    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    retired_grant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("google_retired_grants.id", ondelete="CASCADE"), index=True
    )
    from_calendar_id: Mapped[str] = mapped_column(String(1024))
    from_event_id: Mapped[str] = mapped_column(String(1024))
    status: Mapped[MoveStatus] = mapped_column(str_enum(MoveStatus), default=MoveStatus.MOVING)
    # Why an event was left behind, in words for the host.
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
