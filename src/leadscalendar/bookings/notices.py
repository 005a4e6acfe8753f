"""Which booking events e-mail whom: refunds to the lead, parked jobs to the host.

The bookings domain knows the words (what was being done, why, for which
lead); ``notifications`` only queues and sends. Every notice is enqueued in
the transaction of its cause, with a dedupe key naming that cause, so a
redelivered webhook or a re-run job mails nobody twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from leadscalendar import i18n
from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.bookings import repository
from leadscalendar.bookings.google_outcomes import SLOW_PHASE_REASON
from leadscalendar.bookings.job_kinds import (
    CREATE_EVENT,
    DELETE_EVENT,
    REFUND_PAYMENT,
    REFUND_UNMATCHED_PAYMENT,
    UPDATE_EVENT,
)
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.google import repository as google_repository
from leadscalendar.google.models import ConnectionStatus
from leadscalendar.i18n import N_
from leadscalendar.jobs import (
    ClaimedJob,
    Effect,
    Handler,
    JobContext,
    Outcome,
    Park,
    Retry,
    with_effects,
)
from leadscalendar.notifications import MailTemplate, enqueue_mail, notify_needs_reauth
from leadscalendar.notifications.digest import PlanDigest

ACTIONS = {
    CREATE_EVENT: "adding it to your Google Calendar",
    UPDATE_EVENT: "moving its Google Calendar event",
    DELETE_EVENT: "removing its Google Calendar event",
    REFUND_PAYMENT: "refunding the lead's payment",
    REFUND_UNMATCHED_PAYMENT: "refunding a payment that did not match the booking",
}

# The reason ``enqueue_refund`` noted, in words for the lead (translated where sent).
REFUND_REASONS = {
    "declined by the host": N_("The host could not accept this booking."),
    "cancelled by the host": N_("The host cancelled the booking."),
    "cancelled by the lead": N_("You cancelled the booking."),
    "paid for a slot that was no longer free": N_(
        "Your payment arrived after your hold had expired and someone else had booked "
        "that time meanwhile."
    ),
}


def format_when(moment: datetime, time_zone: str) -> str:
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone, time_zone = ZoneInfo("UTC"), "UTC"
    local = moment.astimezone(zone)
    if i18n.current() != i18n.DEFAULT_LANGUAGE:
        return f"{i18n.format_day(local.date())}, {local:%H:%M} ({time_zone})"
    return f"{local:%A %d %B %Y, %H:%M} ({time_zone})"


def _refund_reason(session: Session, booking: Booking) -> str:
    """Why the money goes back, in the current language.

    A reason of our own is translated; a free-text ``status_reason`` is shown as
    written (English), since it is not in the catalog.
    """
    noted = [event.detail for event in repository.timeline(session, booking.id)]
    for detail in reversed(noted):
        if detail in REFUND_REASONS:
            return i18n.gettext(REFUND_REASONS[detail])
    return booking.status_reason or i18n.gettext("The booking did not go ahead.")


def notify_refund(session: Session, booking: Booking, *, amount_minor: int) -> None:
    """Tell the lead their money is on its way back; once per booking."""
    booking_type = repository.get_booking_type_by_id(session, booking.booking_type_id)
    host = accounts_repository.get_host(session, booking.host_id)
    if booking_type is None or host is None or not booking.lead_email:
        return
    # In the language the lead booked in, as their other mails; the renderer reads "language".
    with i18n.speaking(booking.lead_language):
        worded = {
            "when": format_when(booking.start_at, booking.lead_time_zone),
            "amount": i18n.format_money(amount_minor, booking.currency),
            "reason": _refund_reason(session, booking),
        }
    enqueue_mail(
        session,
        template=MailTemplate.REFUND,
        to=booking.lead_email,
        context={
            "lead_name": booking.lead_name,
            "host_name": host.name,
            "booking_title": booking_type.title,
            **worded,
            "language": booking.lead_language,
        },
        dedupe_key=f"mail:refund:{booking.id}",
        subject_key=str(booking.id),
        host_id=booking.host_id,
    )


def _parked_notice(job: ClaimedJob, booking_id: uuid.UUID, reason: str) -> HostNotice:
    return HostNotice(job.id, job.kind, booking_id, reason, MailTemplate.BOOKING_PARKED, "parked")


def _delayed_notice(job: ClaimedJob, booking_id: uuid.UUID) -> HostNotice:
    """Once per job, whichever delay comes first: the slow phase or a quota window.

    Applied after the outcome's own writes, so the reason is the one just put on
    the booking.
    """
    return HostNotice(job.id, job.kind, booking_id, None, MailTemplate.BOOKING_DELAYED, "delayed")


def _waiting_reason(booking: Booking) -> str:
    """The reason on a booking waiting for its event; other bookings' reasons say other things."""
    if booking.status is BookingStatus.PAID and booking.status_reason:
        return booking.status_reason
    return SLOW_PHASE_REASON


def mail_host_about(
    session: Session,
    booking: Booking,
    template: MailTemplate,
    *,
    dedupe_key: str,
    extra: Mapping[str, str],
) -> None:
    """Mail the host about one booking: who, what and when (in the host's zone), plus ``extra``."""
    booking_type = repository.get_booking_type_by_id(session, booking.booking_type_id)
    host = accounts_repository.get_host(session, booking.host_id)
    if booking_type is None or host is None:
        return
    enqueue_mail(
        session,
        template=template,
        to=host.email,
        context={
            "host_name": host.name,
            "lead_name": booking.lead_name,
            "lead_email": booking.lead_email,
            "booking_title": booking_type.title,
            "when": format_when(booking.start_at, host.timezone),
            "booking_id": str(booking.id),
            **extra,
        },
        dedupe_key=dedupe_key,
        subject_key=str(booking.id),
        host_id=booking.host_id,
    )


@dataclass(frozen=True)
class HostNotice:
    """Mail the host that a job about one booking parked or is delayed; once per job and cause.

    ``reason`` None: the reason on the booking (just written by the outcome).
    """

    name: ClassVar[str] = "mail.host_notice"
    job_id: uuid.UUID
    job_kind: str
    booking_id: uuid.UUID
    reason: str | None
    template: MailTemplate
    cause: str

    def apply(self, session: Session) -> None:
        booking = repository.get_booking(session, self.booking_id)
        if booking is None:
            return
        mail_host_about(
            session,
            booking,
            self.template,
            dedupe_key=f"mail:{self.cause}:{self.job_id}",
            extra={
                "action": ACTIONS.get(self.job_kind, "working on it"),
                "reason": self.reason or _waiting_reason(booking),
            },
        )


@dataclass(frozen=True)
class NeedsReauthNotice:
    """The host's reconnect mail, in case the connection broke on a path without the hook."""

    name: ClassVar[str] = "mail.needs_reauth"
    host_id: uuid.UUID | None

    def apply(self, session: Session) -> None:
        if self.host_id is None:
            return
        connection = google_repository.get_connection(session, self.host_id)
        if connection is not None and connection.status is ConnectionStatus.NEEDS_REAUTH:
            notify_needs_reauth(session, connection)


def with_park_notice(job: ClaimedJob, outcome: Outcome) -> Outcome:
    """Add the host's e-mail to an outcome that parks the job (or will, attempts spent).

    A ``needs_reauth`` park mails about the connection, once per breakage,
    not once per waiting booking: one cause, one message.
    """
    booking_id = job.payload.get("booking_id")
    if booking_id is None:
        return outcome
    if isinstance(outcome, Park):
        return _park_with_notice(job, uuid.UUID(booking_id), outcome)
    if isinstance(outcome, Retry) and outcome.give_up is not None:
        give_up = _park_with_notice(job, uuid.UUID(booking_id), outcome.give_up)
        outcome = replace(outcome, give_up=give_up)
    if isinstance(outcome, Retry) and outcome.transient:
        return _with_delay_notice(job, uuid.UUID(booking_id), outcome)
    if isinstance(outcome, Retry) and job.attempt >= job.max_attempts:
        # The runner parks it as attempts_exhausted, applying these effects meanwhile.
        reason = f"Gave up after {job.attempt} attempts; the last one said: {outcome.reason}"
        notice = _parked_notice(job, uuid.UUID(booking_id), reason)
        return with_effects(outcome, notice, PlanDigest(job.host_id))
    return outcome


def _park_with_notice(job: ClaimedJob, booking_id: uuid.UUID, outcome: Park) -> Park:
    notice: Effect
    if outcome.code == ParkCode.NEEDS_REAUTH:
        notice = NeedsReauthNotice(job.host_id)
    else:
        notice = _parked_notice(job, booking_id, outcome.reason)
    return with_effects(outcome, notice, PlanDigest(job.host_id))  # needs_reauth work waits too


def _with_delay_notice(job: ClaimedJob, booking_id: uuid.UUID, outcome: Retry) -> Retry:
    """Tell the host once that a transient failure delays the booking.

    When the job enters its slow phase (``on_slow``), or at once when Google
    names a wait of hours (a quota window: ``not_before``).
    """
    notice = _delayed_notice(job, booking_id)
    if outcome.not_before is not None:
        return with_effects(outcome, notice)
    return replace(outcome, on_slow=(*outcome.on_slow, notice))


def notify_on_park(handler: Handler) -> Handler:
    """Wrap a bookings job handler so that parking it e-mails the host."""

    def run(ctx: JobContext) -> Outcome:
        return with_park_notice(ctx.job, handler(ctx))

    return run
