"""The ``booking_mails`` job: an accepted booking's mails and reminders, worded in the worker.

The payment webhook accepts a booking and enqueues this job in the same
transaction, beside the create-event job (``service.accept``), instead of
wording the lead's and the host's mails itself: that wording (two contexts in
two zones and languages, an invitation, the timeline read for its sequence)
was about half of the webhook's CPU, and the provider waits for the answer.

What the mails say and when they go stay as they were:

* the same functions word them (``mails.confirmation_mails``,
  ``mails.approval_request_mails``), from the booking as it is when the job
  runs (normally the same second);
* reminders are planned as of the acceptance (``accepted_at``), so a job that
  runs late (a worker was down) still plans an offset that was ahead at
  payment time, due at once, as a reminder job planned then would have run;
* each mail keeps its dedupe key, so a re-run queues nothing twice.

The job sends the mails itself (``notifications.delivery``) rather than
queueing a ``send_email`` job per recipient: it words them in a read-only
session, sends them with no transaction open over one connection, and its
outcome's effect then, under the booking's row lock, records them as sent,
queues any that did not go as ordinary ``send_email`` jobs (their retries and
undeliverable handling unchanged) and plans the reminders.

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
from leadscalendar.notifications.delivery import (
    SMTP_SEND,
    Delivery,
    deliver_now,
    hand_over,
    record_sent,
)
from leadscalendar.notifications.mailer import Mailer
from leadscalendar.notifications.service import PendingMail


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
class FinishBookingMails:
    """Record what was sent; under the booking's lock, hand over the rest and plan reminders.

    A booking that moved on while the mails were sent gets no ``send_email``
    job for the ones that failed and no reminders; the mails that did go
    (the booking was still in its state when they were worded) stay recorded.
    """

    name: ClassVar[str] = "booking.finish_mails"
    booking_id: uuid.UUID
    plan: MailPlan
    accepted_at: datetime
    delivery: Delivery

    def apply(self, session: Session) -> None:
        record_sent(session, self.delivery)
        booking = repository.get_booking(session, self.booking_id, for_update=True)
        if booking is None or stale_because(booking, self.plan) is not None:
            return
        hand_over(session, self.delivery)
        if self.plan is MailPlan.CONFIRMED:
            mails.plan_reminders(session, booking, self.accepted_at)


def _word(ctx: JobContext, booking_id: uuid.UUID, plan: MailPlan) -> list[PendingMail] | str:
    """The plan's mails as the booking is now, or why none should go."""
    with ctx.read() as session:
        booking = repository.get_booking(session, booking_id)
        stale = stale_because(booking, plan)
        if stale is not None or booking is None:
            return stale or "the booking no longer exists"
        if plan is MailPlan.CONFIRMED:
            return mails.confirmation_mails(session, booking)
        return mails.approval_request_mails(session, booking)


def send_booking_mails(ctx: JobContext, mailer: Mailer) -> Outcome:
    """Word and send the plan's mails; the outcome records them and plans the reminders."""
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
    worded = _word(ctx, booking_id, plan)
    if isinstance(worded, str):
        return Succeeded(f"{plan.value} mails not sent: {worded}")
    delivery = deliver_now(mailer, worded, ctx.job.id)
    detail = (
        f"{plan.value} mails: {len(delivery.sent)} sent, {len(delivery.failed)} queued to retry"
    )
    return Succeeded(
        detail,
        effects=(FinishBookingMails(booking_id, plan, accepted_at, delivery),),
        operation=SMTP_SEND,
    )
