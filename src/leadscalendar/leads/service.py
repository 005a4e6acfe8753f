"""A lead's data on request: hand over everything stored about one lead, or erase it.

A lead is an e-mail address within one host's bookings (another host's
bookings are another controller's data). Export reads the bookings, their
timelines, the mails queued to the lead, the jobs and the payment records.

Erasure, in the caller's transaction (a route's unit of work; nothing here
commits), for each of the lead's bookings:

- every lead field (``bookings.lead_fields.LEAD_FIELDS``: name, e-mail, notes,
  guests, answers, source) is replaced by its tombstone and the booking marked
  ``lead_erased_at``, so no mail, event, export or webhook names the lead again;
- the lead's name and addresses are masked wherever they were copied into free
  text: the booking's timeline, its jobs' payloads and errors (queued mails,
  refused ones), the job attempts' messages, stored idempotent answers;
- mails still waiting to go to the lead, and their reminders, are cancelled;
- payment events keep only what the law asks for (amounts, currency, dates,
  provider ids): ``payments.service.redact_events_of``;
- the Google event is patched (summary, description, no attendees, nobody
  e-mailed) by an ``update_calendar_event`` job, with its retries and parks;
- stored outbound webhook payloads are redacted (``webhooks_out.service.redact_lead``).

An audit row (``LeadErasure``) says who erased which bookings and when; it
does not name the lead. A repeat finds no booking (the address is gone) and
changes nothing but the audit log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.event_patches import ERASE_LEAD, PATCH_KEY
from leadscalendar.bookings.job_kinds import SEND_REMINDER, UPDATE_EVENT
from leadscalendar.bookings.lead_fields import (
    ERASED_NAME,
    erase_fields,
    erased_email,
    identifying_strings,
    lead_values,
)
from leadscalendar.bookings.models import Booking, BookingEvent
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.idempotency import service as idempotency
from leadscalendar.jobs import cancel_pending_for_subject, enqueue
from leadscalendar.jobs.models import Job
from leadscalendar.leads import repository
from leadscalendar.leads.models import LeadErasure
from leadscalendar.leads.schemas import (
    ErasureOut,
    LeadBookingOut,
    LeadDataOut,
    MailOut,
    PaymentRecordOut,
    TimelineEntryOut,
)
from leadscalendar.leads.scrub import masker, scrub_json, scrub_text
from leadscalendar.notifications import SEND_EMAIL
from leadscalendar.payments import service as payments
from leadscalendar.payments.models import PaymentEvent
from leadscalendar.webhooks_out import service as webhooks_out

logger = logging.getLogger(__name__)

# The event may still be being created (a paid booking's insert in flight): the patch
# waits a little so it finds the event; an insert that runs later reads erased data.
PATCH_DELAY_WHILE_CREATING = timedelta(minutes=5)
ERASED_KIND = "lead_erased"


def _mails(jobs: Sequence[Job], email: str) -> list[MailOut]:
    return [
        MailOut(
            template=str(job.payload.get("template", "")),
            to=str(job.payload.get("to", "")),
            status=job.status.value,
            queued_at=job.created_at,
            finished_at=job.finished_at,
        )
        for job in jobs
        if job.kind == SEND_EMAIL and str(job.payload.get("to", "")).lower() == email.lower()
    ]


def export_lead(session: Session, host: Host, email: str, now: datetime) -> LeadDataOut:
    """Everything stored about the lead ``email`` in the host's account, as one document."""
    bookings = repository.bookings_of(session, host.id, email)
    ids = [booking.id for booking in bookings]
    titles = repository.type_titles(session, host.id)
    timeline = repository.timeline_of(session, ids) if ids else []
    jobs = repository.jobs_of(session, host.id, ids) if ids else []
    paid = repository.payment_events_of(session, ids) if ids else []
    return LeadDataOut(
        email=email,
        host=host.name,
        exported_at=now,
        bookings=[
            _booking_out(booking, titles, timeline, jobs, paid, email) for booking in bookings
        ],
    )


def _booking_out(
    booking: Booking,
    titles: Mapping[uuid.UUID, str],
    timeline: Sequence[BookingEvent],
    jobs: Sequence[Job],
    paid: Sequence[PaymentEvent],
    email: str,
) -> LeadBookingOut:
    subject = str(booking.id)
    return LeadBookingOut(
        id=subject,
        status=booking.status.value,
        booking_type=titles.get(booking.booking_type_id, ""),
        start=booking.start_at,
        end=booking.end_at,
        lead_time_zone=booking.lead_time_zone,
        lead_language=booking.lead_language,
        lead=lead_values(booking),
        amount_minor=booking.amount_minor,
        currency=booking.currency,
        paid_at=booking.paid_at,
        created_at=booking.created_at,
        google_event_link=booking.google_event_link,
        timeline=[
            TimelineEntryOut(at=entry.at, kind=entry.kind, detail=entry.detail)
            for entry in timeline
            if entry.booking_id == booking.id
        ],
        mails=_mails([job for job in jobs if job.subject_key == subject], email),
        payments=[
            PaymentRecordOut.model_validate(event, from_attributes=True)
            for event in paid
            if event.booking_id == booking.id
        ],
    )


def erase_lead(
    session: Session, host: Host, email: str, *, actor: str, now: datetime
) -> ErasureOut:
    """Erase the lead ``email`` from the host's bookings (see the module); the caller commits."""
    bookings = repository.bookings_of(session, host.id, email, for_update=True)
    counts = {"bookings": len(bookings), "mails_cancelled": 0, "calendar_patches": 0}
    for booking in bookings:
        for key, value in _erase_booking(session, booking, actor=actor, now=now).items():
            counts[key] = counts.get(key, 0) + value
    ids = {str(booking.id) for booking in bookings}
    counts["payment_records_redacted"] = payments.redact_events_of(
        session, [booking.id for booking in bookings]
    )
    counts["stored_answers_forgotten"] = idempotency.forget_answers_about(session, host.id, ids)
    session.add(
        LeadErasure(
            host_id=host.id, erased_at=now, actor=actor, booking_ids=sorted(ids), counts=counts
        )
    )
    session.flush()
    # Counts only: the address is what was erased.
    logger.info("lead.erased host_id=%s bookings=%d actor=%s", host.id, len(bookings), actor)
    return ErasureOut(erased_at=now, bookings=len(bookings), counts=counts)


def _replacements(booking: Booking) -> dict[str, str]:
    """Each identifying string of the booking -> what stands in its place in free text."""
    found = dict.fromkeys(identifying_strings(booking), "[erased]")
    found[booking.lead_email] = erased_email(booking)
    found[booking.lead_name] = ERASED_NAME
    return {text: tombstone for text, tombstone in found.items() if len(text.strip()) >= 3}


def _erase_booking(
    session: Session, booking: Booking, *, actor: str, now: datetime
) -> dict[str, int]:
    replacements = _replacements(booking)
    pattern = masker(replacements)
    email = booking.lead_email
    erase_fields(booking)
    booking.lead_erased_at = now
    if booking.status_reason:
        booking.status_reason = scrub_text(booking.status_reason, pattern, replacements)
    for entry in repository.timeline_of(session, [booking.id]):
        # The timeline is append-only; masking the lead's words in it is the exception.
        entry.detail = scrub_text(entry.detail, pattern, replacements)
    cancelled = _cancel_mails_to(session, booking, email)
    jobs = repository.jobs_of(session, booking.host_id, [booking.id])
    for job in jobs:
        job.payload = scrub_json(job.payload, pattern, replacements)
        job.last_error = scrub_text(job.last_error or "", pattern, replacements) or None
        job.park_reason = scrub_text(job.park_reason or "", pattern, replacements) or None
    for attempt in repository.attempts_of(session, [job.id for job in jobs]):
        attempt.message = scrub_text(attempt.message or "", pattern, replacements) or None
    patched = _patch_calendar_event(session, booking, now)
    webhooks = webhooks_out.redact_lead(session, booking.id)
    session.add(
        BookingEvent(booking_id=booking.id, kind=ERASED_KIND, detail=f"on request, by {actor}")
    )
    return {
        "mails_cancelled": cancelled,
        "calendar_patches": int(patched),
        "webhook_payloads_redacted": webhooks,
    }


def _cancel_mails_to(session: Session, booking: Booking, email: str) -> int:
    """Cancel the booking's waiting reminders and the mails still queued to the lead."""
    subject = str(booking.id)
    reminders = cancel_pending_for_subject(session, subject, kinds=[SEND_REMINDER])
    mails = cancel_pending_for_subject(
        session,
        subject,
        kinds=[SEND_EMAIL],
        only=lambda job: str(job.payload.get("to", "")).lower() == email.lower(),
    )
    return reminders + mails


def _patch_calendar_event(session: Session, booking: Booking, now: datetime) -> bool:
    """Queue the patch that takes the lead out of the Google event, if there is one."""
    creating = booking.status is BookingStatus.PAID
    if booking.status is not BookingStatus.SCHEDULED and not creating:
        return False
    enqueue(
        session,
        UPDATE_EVENT,
        {"booking_id": str(booking.id), PATCH_KEY: ERASE_LEAD},
        subject_key=str(booking.id),
        host_id=booking.host_id,
        dedupe_key=f"{UPDATE_EVENT}:{ERASE_LEAD}:{booking.id}",
        run_after=now + PATCH_DELAY_WHILE_CREATING if creating else None,
    )
    return True
