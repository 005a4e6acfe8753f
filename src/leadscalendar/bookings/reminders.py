"""The ``send_reminder`` job: at its moment, mail the reminder if the booking still calls for it.

Reminder jobs are planned by ``mails.plan_reminders`` (on confirmation and on
each reschedule) and dropped on cancel or decline. A job that was already
running when the booking changed is not cancelled, so the decision is taken
again here, under the booking's row lock in the transaction that records the
job's outcome: the booking must still be on, still start at the time the job
was planned for, and not have started. The mail's dedupe key names the offset
and the booking's version, so two workers, or a re-run after a lost lease,
queue one mail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from leadscalendar.bookings import mails, repository
from leadscalendar.bookings.job_kinds import SEND_REMINDER
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.db.base import utcnow
from leadscalendar.jobs import JobContext, JobRegistry, Outcome, Park, Succeeded
from leadscalendar.notifications import MailTemplate, OutgoingMail


def stale_because(booking: Booking | None, payload: dict[str, Any], now: datetime) -> str | None:
    """Why this reminder must not go out any more, or None when it should."""
    if booking is None:
        return "the booking no longer exists"
    if booking.status not in mails.REMINDED_STATUSES:
        return f"the booking is {booking.status.value}"
    if booking.start_at != datetime.fromisoformat(str(payload["start"])):
        return "the booking was moved; its new time has its own reminders"
    if booking.start_at <= now:
        return "the booking has already started"
    return None


def send_reminder(ctx: JobContext) -> Outcome:
    """Queue the reminder mail, deciding under the booking's lock at commit time."""
    payload = ctx.job.payload
    try:
        booking_id = uuid.UUID(str(payload["booking_id"]))
        minutes = int(payload["minutes"])
        datetime.fromisoformat(str(payload["start"]))
    except (KeyError, ValueError, TypeError):
        return Park(
            ParkCode.REMINDER_INVALID, "This reminder job does not name a booking and a time."
        )
    with ctx.read() as session:
        reason = stale_because(repository.get_booking(session, booking_id), payload, utcnow())
    if reason is not None:
        return Succeeded(f"reminder not sent: {reason}")
    return Succeeded(
        f"reminder {mails.lead_in(minutes)} queued",
        effects=(QueueReminder(booking_id, minutes, str(payload["start"])),),
    )


@dataclass(frozen=True)
class QueueReminder:
    """Queue the reminder mail, deciding again under the booking's lock at commit time."""

    name: ClassVar[str] = "booking.queue_reminder"
    booking_id: uuid.UUID
    minutes: int
    start: str

    def apply(self, session: Session) -> None:
        booking = repository.get_booking(session, self.booking_id, for_update=True)
        if stale_because(booking, {"start": self.start}, utcnow()) is None:
            assert booking is not None
            mails.reminder(session, booking, self.minutes)


def reminder_mail_stale(session: Session, subject_key: str, mail: OutgoingMail) -> str | None:
    """Asked by ``send_email`` just before sending: a reminder held up (SMTP down) may be stale."""
    if mail.template not in (MailTemplate.REMINDER, MailTemplate.HOST_REMINDER):
        return None
    try:
        booking = repository.get_booking(session, uuid.UUID(subject_key))
        return stale_because(booking, {"start": mail.context["starts_at"]}, utcnow())
    except (KeyError, ValueError):
        return "the reminder names no booking"


def register_reminder_tasks(registry: JobRegistry) -> JobRegistry:
    """Add the ``send_reminder`` handler to a worker's registry."""
    registry.register(SEND_REMINDER, send_reminder)
    return registry
