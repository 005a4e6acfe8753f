"""The ``booking_mails`` job: an accepted booking's mails and reminders, worded in the worker.

The payment webhook accepts a booking and enqueues this job in the same
transaction, beside the create-event job (``service.accept``), instead of
wording the lead's and the host's mails itself: that wording (two contexts in
two zones and languages, an invitation, the timeline read for its sequence)
was about half of the webhook's CPU, and the provider waits for the answer.

What the mails say and when they go stay as they were:

* the same functions word them (``mails.booking_confirmed``,
  ``mails.awaiting_approval``), under the booking's row lock, from the booking
  as it is when the job runs (normally the same second);
* reminders are planned as of the acceptance (``accepted_at``), so a job that
  runs late (a worker was down) still plans an offset that was ahead at
  payment time, due at once, as a reminder job planned then would have run;
* each mail keeps its dedupe key, so a re-run queues nothing twice.

A booking that moved on before the job ran gets no stale message: a cancelled
or declined booking gets no confirmation (its cancellation notice already
went), an approval request already decided is not sent. A booking rescheduled
meanwhile is confirmed at its new time; its reminders are the reschedule's
(``mails.plan_reminders`` keeps them).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy.orm import Session

from leadscalendar.bookings import mails, repository
from leadscalendar.bookings.job_kinds import BOOKING_MAILS
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.jobs import JobContext, NewJob, Outcome, Park, Succeeded


class MailPlan(enum.StrEnum):
    """Which of ``mails``' functions the job runs."""

    CONFIRMED = "confirmed"
    AWAITING_APPROVAL = "awaiting_approval"


# The states in which each plan's mails are still true.
_STILL_TRUE = {
    MailPlan.CONFIRMED: mails.REMINDED_STATUSES,
    MailPlan.AWAITING_APPROVAL: frozenset({BookingStatus.AWAITING_APPROVAL}),
}


def later(booking: Booking, plan: MailPlan, accepted_at: datetime) -> NewJob:
    """The job that sends ``plan``'s mails for ``booking``, to enqueue with its acceptance."""
    return NewJob(
        BOOKING_MAILS,
        {"booking_id": str(booking.id), "plan": plan.value, "accepted_at": accepted_at.isoformat()},
        subject_key=str(booking.id),
        host_id=booking.host_id,
        dedupe_key=f"{BOOKING_MAILS}:{plan.value}:{booking.id}",
    )


def stale_because(booking: Booking | None, plan: MailPlan) -> str | None:
    """Why the plan's mails must not go out any more, or None when they should."""
    if booking is None:
        return "the booking no longer exists"
    if booking.status not in _STILL_TRUE[plan]:
        return f"the booking is {booking.status.value}"
    return None


@dataclass(frozen=True)
class PlanBookingMails:
    """Word and queue the plan's mails, deciding under the booking's lock at commit."""

    name: ClassVar[str] = "booking.plan_mails"
    booking_id: uuid.UUID
    plan: MailPlan
    accepted_at: datetime

    def apply(self, session: Session) -> None:
        booking = repository.get_booking(session, self.booking_id, for_update=True)
        if booking is None or stale_because(booking, self.plan) is not None:
            return
        if self.plan is MailPlan.CONFIRMED:
            mails.booking_confirmed(session, booking, now=self.accepted_at)
        else:
            mails.awaiting_approval(session, booking)


def send_booking_mails(ctx: JobContext) -> Outcome:
    """Queue the plan's mails (and reminders) in the outcome's transaction."""
    payload = ctx.job.payload
    invalid = ParkCode.BOOKING_MAILS_INVALID
    try:
        booking_id = uuid.UUID(str(payload["booking_id"]))
        plan = MailPlan(payload["plan"])
        accepted_at = datetime.fromisoformat(str(payload["accepted_at"]))
    except (KeyError, ValueError, TypeError):
        return Park(invalid, "This mail job does not name a booking, its mails and a time.")
    if accepted_at.tzinfo is None:
        return Park(invalid, "This mail job's time has no time zone.")
    return Succeeded(
        f"{plan.value} mails planned unless the booking moved on",
        effects=(PlanBookingMails(booking_id, plan, accepted_at),),
    )
