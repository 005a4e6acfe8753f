"""Read models for the host's dashboard: filtered booking lists, a booking's story, stuck jobs.

Every function takes the host id and filters by it in the query itself, so a
host can never read another host's rows by guessing an id: the dashboard
answers "not found" for those exactly as for ids that do not exist.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from leadscalendar.bookings.models import Booking, BookingEvent, BookingType
from leadscalendar.bookings.search import contains_pattern, source_contains
from leadscalendar.bookings.states import ACTIVE_STATUSES, BookingStatus
from leadscalendar.jobs.models import AttemptOutcome, Job, JobAttempt, JobStatus


class When(enum.StrEnum):
    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


@dataclass(frozen=True)
class BookingFilter:
    status: BookingStatus | None = None
    when: When = When.UPCOMING
    booking_type_id: uuid.UUID | None = None
    # A part of the lead's e-mail address, case-insensitive.
    email: str = ""
    # A part of any lead source value (utm_*, ref, referrer), case-insensitive.
    source: str = ""


@dataclass(frozen=True)
class BookingPage:
    bookings: Sequence[Booking]
    total: int


def booking_conditions(
    host_id: uuid.UUID, wanted: BookingFilter, *, now: datetime
) -> list[ColumnElement[bool]]:
    """The WHERE of the dashboard's list: shared by its pages and its CSV export."""
    conditions = [Booking.host_id == host_id]
    if wanted.status is BookingStatus.REFUNDED:
        # Cancelled and declined bookings are refunded too: their money went back.
        refunded = select(BookingEvent.id).where(
            BookingEvent.booking_id == Booking.id, BookingEvent.kind == "refunded"
        )
        conditions.append(or_(Booking.status == BookingStatus.REFUNDED, refunded.exists()))
    elif wanted.status is not None:
        conditions.append(Booking.status == wanted.status)
    if wanted.when is When.UPCOMING:
        conditions.append(Booking.end_at >= now)
    elif wanted.when is When.PAST:
        conditions.append(Booking.end_at < now)
    if wanted.booking_type_id is not None:
        conditions.append(Booking.booking_type_id == wanted.booking_type_id)
    if wanted.email:
        # Escape LIKE's wildcards: a search for "a_b" means the text "a_b".
        pattern = contains_pattern(wanted.email)
        conditions.append(func.lower(Booking.lead_email).like(pattern, escape="\\"))
    if wanted.source:
        conditions.append(source_contains(wanted.source))
    return conditions


def booking_order(wanted: BookingFilter) -> tuple[ColumnElement[Any], ...]:
    """Upcoming soonest first, past most recent first; the id breaks ties."""
    start = Booking.start_at.desc() if wanted.when is When.PAST else Booking.start_at.asc()
    return (start, Booking.id.asc())


def list_bookings(
    session: Session,
    host_id: uuid.UUID,
    wanted: BookingFilter,
    *,
    now: datetime,
    limit: int,
    offset: int,
) -> BookingPage:
    """One page of the host's bookings; upcoming soonest first, past most recent first."""
    conditions = booking_conditions(host_id, wanted, now=now)
    total = session.scalar(select(func.count()).select_from(Booking).where(*conditions)) or 0
    rows = session.scalars(
        select(Booking)
        .where(*conditions)
        .order_by(*booking_order(wanted))
        .limit(limit)
        .offset(offset)
    ).all()
    return BookingPage(rows, total)


def count_upcoming_active(session: Session, host_id: uuid.UUID, *, now: datetime) -> int:
    """The host's bookings still to come that hold their slot (what a disconnect affects)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(
                Booking.host_id == host_id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.end_at >= now,
            )
        )
        or 0
    )


def get_booking(
    session: Session, host_id: uuid.UUID, booking_id: uuid.UUID, *, for_update: bool = False
) -> Booking | None:
    statement = select(Booking).where(Booking.id == booking_id, Booking.host_id == host_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalar(statement)


def booking_types_by_id(session: Session, host_id: uuid.UUID) -> dict[uuid.UUID, BookingType]:
    types = session.scalars(select(BookingType).where(BookingType.host_id == host_id))
    return {booking_type.id: booking_type for booking_type in types}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a booking's story, from the booking's log or from a job attempt."""

    at: datetime
    source: str  # booking | payment | google | job
    title: str
    detail: str = ""
    tone: str = ""  # ok | warning | error | "" (neutral)
    attempt: JobAttempt | None = None
    job: Job | None = None


_OUTCOME_TONES = {
    AttemptOutcome.SUCCEEDED: "ok",
    AttemptOutcome.RETRY: "warning",
    AttemptOutcome.ERROR: "warning",
    AttemptOutcome.ABANDONED: "warning",
    AttemptOutcome.PARKED: "error",
}
_EVENT_TONES = {
    "status_scheduled": "ok",
    "payment_succeeded": "ok",
    "calendar_event_created": "ok",
    "refunded": "ok",
    "calendar_parked": "error",
    "mail_undeliverable": "error",
    "status_cancelled": "warning",
    "status_declined": "warning",
    "status_expired": "warning",
    # The host changed the event in Google (bookings.calendar_follow): a question for them.
    "calendar_moved_by_host": "warning",
    "calendar_deleted_by_host": "warning",
    "calendar_lead_declined": "warning",
}


def job_label(kind: str) -> str:
    """``create_calendar_event`` -> ``Create calendar event``."""
    return kind.replace("_", " ").capitalize()


def _event_entry(event: BookingEvent) -> TimelineEntry:
    kind = event.kind
    if kind.startswith("status_"):
        title = "Status: " + kind.removeprefix("status_").replace("_", " ")
        source = "booking"
    else:
        title = kind.replace("_", " ").capitalize()
        source = (
            "payment"
            if kind.startswith(("payment", "refund", "no_refund"))
            else "google"
            if kind.startswith("calendar")
            else "booking"
        )
    return TimelineEntry(event.at, source, title, event.detail, _EVENT_TONES.get(kind, ""))


def booking_jobs(session: Session, booking: Booking) -> Sequence[Job]:
    return session.scalars(
        select(Job)
        .where(Job.subject_key == str(booking.id), Job.host_id == booking.host_id)
        .order_by(Job.created_at)
    ).all()


def timeline(session: Session, booking: Booking) -> list[TimelineEntry]:
    """The booking's log merged with every attempt of its jobs, oldest first."""
    entries = [
        _event_entry(event)
        for event in session.scalars(
            select(BookingEvent).where(BookingEvent.booking_id == booking.id)
        )
    ]
    jobs = {job.id: job for job in booking_jobs(session, booking)}
    for job in jobs.values():
        entries.append(
            TimelineEntry(job.created_at, "job", f"Queued: {job_label(job.kind)}", job=job)
        )
    if jobs:
        attempts = session.scalars(select(JobAttempt).where(JobAttempt.job_id.in_(list(jobs))))
        for attempt in attempts:
            job = jobs[attempt.job_id]
            entries.append(
                TimelineEntry(
                    attempt.started_at,
                    "google"
                    if (attempt.operation or "").startswith(("events", "calendar"))
                    else "job",
                    f"{job_label(job.kind)}: attempt {attempt.number} {attempt.outcome.value}",
                    attempt.message or "",
                    _OUTCOME_TONES.get(attempt.outcome, ""),
                    attempt=attempt,
                    job=job,
                )
            )
    # A stable order for equal times: the log line that caused a job comes first.
    order = {"booking": 0, "payment": 0, "job": 1, "google": 2}
    entries.sort(key=lambda entry: (entry.at, order.get(entry.source, 3)))
    return entries


def _needs_attention(host_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [
        Job.host_id == host_id,
        or_(
            Job.status == JobStatus.PARKED,
            and_(Job.status == JobStatus.QUEUED, Job.attempts > 0),
        ),
    ]


def jobs_needing_attention(session: Session, host_id: uuid.UUID, limit: int = 200) -> Sequence[Job]:
    """Parked jobs and jobs waiting to retry after a failure, parked first, oldest first."""
    parked_first = (Job.status != JobStatus.PARKED).label("parked_first")
    return session.scalars(
        select(Job)
        .where(*_needs_attention(host_id))
        .order_by(parked_first, Job.created_at)
        .limit(limit)
    ).all()


def count_parked(session: Session, host_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.host_id == host_id, Job.status == JobStatus.PARKED)
        )
        or 0
    )


def get_job(session: Session, host_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    return session.scalar(select(Job).where(Job.id == job_id, Job.host_id == host_id))


def bookings_by_id(
    session: Session, host_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Booking]:
    if not ids:
        return {}
    rows = session.scalars(select(Booking).where(Booking.host_id == host_id, Booking.id.in_(ids)))
    return {booking.id: booking for booking in rows}
