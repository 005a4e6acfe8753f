"""Every query about one lead: their bookings with one host, and what hangs off them."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadscalendar.bookings.models import Booking, BookingEvent, BookingType
from leadscalendar.jobs.models import Job, JobAttempt
from leadscalendar.leads.models import LeadErasure
from leadscalendar.payments.models import PaymentEvent


def bookings_of(
    session: Session, host_id: uuid.UUID, email: str, *, for_update: bool = False
) -> Sequence[Booking]:
    """The host's bookings made by ``email`` (case-insensitive), oldest first.

    Erased bookings hold a tombstone address, so they are never found again.
    """
    statement = (
        select(Booking)
        .where(Booking.host_id == host_id, func.lower(Booking.lead_email) == email.lower())
        .order_by(Booking.start_at, Booking.id)
    )
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return session.scalars(statement).all()


def type_titles(session: Session, host_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = session.execute(
        select(BookingType.id, BookingType.title).where(BookingType.host_id == host_id)
    )
    return {type_id: title for type_id, title in rows}


def timeline_of(session: Session, booking_ids: Collection[uuid.UUID]) -> Sequence[BookingEvent]:
    return session.scalars(
        select(BookingEvent)
        .where(BookingEvent.booking_id.in_(list(booking_ids)))
        .order_by(BookingEvent.at, BookingEvent.id)
    ).all()


def jobs_of(
    session: Session, host_id: uuid.UUID, booking_ids: Collection[uuid.UUID]
) -> Sequence[Job]:
    """Every job about these bookings (mails, calendar changes, refunds), oldest first."""
    subjects = [str(booking_id) for booking_id in booking_ids]
    return session.scalars(
        select(Job)
        .where(Job.host_id == host_id, Job.subject_key.in_(subjects))
        .order_by(Job.created_at, Job.id)
    ).all()


def attempts_of(session: Session, job_ids: Collection[uuid.UUID]) -> Sequence[JobAttempt]:
    return session.scalars(select(JobAttempt).where(JobAttempt.job_id.in_(list(job_ids)))).all()


def payment_events_of(
    session: Session, booking_ids: Collection[uuid.UUID]
) -> Sequence[PaymentEvent]:
    return session.scalars(
        select(PaymentEvent)
        .where(PaymentEvent.booking_id.in_(list(booking_ids)))
        .order_by(PaymentEvent.received_at, PaymentEvent.id)
    ).all()


def erasures_of(session: Session, host_id: uuid.UUID, limit: int = 50) -> Sequence[LeadErasure]:
    """The host's latest erasures, newest first (the audit log the dashboard shows)."""
    return session.scalars(
        select(LeadErasure)
        .where(LeadErasure.host_id == host_id)
        .order_by(LeadErasure.erased_at.desc())
        .limit(limit)
    ).all()
