"""Which booking change mails whom: the lead's and the host's messages, and their invitations.

``service`` and ``changes`` call one function here per change, in the
transaction of that change, so a mail exists if and only if its change
commits. Each mail's ``dedupe_key`` names the booking and its version (the
number of reschedules so far), so a replayed webhook or a double click mails
nobody twice, while each real change mails once. The context is written in
the recipient's words at enqueue time (times in the lead's zone for the lead,
in the host's for the host); the lead's manage link is signed at send time.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from leadscalendar import i18n
from leadscalendar.accounts.models import Host
from leadscalendar.availability.zones import load_zone
from leadscalendar.bookings import repository
from leadscalendar.bookings.job_kinds import SEND_REMINDER
from leadscalendar.bookings.models import Booking, BookingEvent, BookingType
from leadscalendar.bookings.notices import format_when
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.google.events import event_id_for
from leadscalendar.jobs import NewJob, cancel_pending_for_subject, enqueue_all
from leadscalendar.notifications import MailTemplate
from leadscalendar.notifications.ics import event_uid
from leadscalendar.notifications.service import PendingMail, pending_mail, queue_mail

# Bookings that will happen: the ones reminders are for.
REMINDED_STATUSES = frozenset({BookingStatus.PAID, BookingStatus.SCHEDULED})
REFUND_DELAY = i18n.N_(
    "Depending on your bank, it appears on your statement within 5 to 10 business days."
)


def version(session: Session, booking: Booking) -> int:
    """How many times the booking moved: the ``SEQUENCE`` of its calendar invitation."""
    return sum(
        1 for entry in repository.timeline(session, booking.id) if entry.kind == "rescheduled"
    )


def _location(booking: Booking, booking_type: BookingType) -> str:
    if booking_type.location:
        return booking_type.location
    if booking.meet_link:
        return f"Google Meet: {booking.meet_link}"
    if booking_type.google_meet:
        return i18n.gettext(
            "Google Meet (the link is on your booking page and in the calendar invitation)"
        )
    return ""


def refund_policy(booking: Booking, booking_type: BookingType) -> str:
    """The cancellation rule in one sentence, or nothing for a free booking."""
    if booking.amount_minor <= 0:
        return ""
    hours = booking_type.refund_cutoff_hours
    if hours <= 0:
        return i18n.gettext("You can cancel until the start for a full refund.")
    return i18n.gettext(
        "Cancel at least {hours} hours before the start for a full refund; "
        "later cancellations are not refunded."
    ).format(hours=hours)


def _when(moment: datetime, zone: str) -> str:
    """The start as the mail's reader reads it (English keeps ``format_when``'s wording)."""
    if i18n.current() == i18n.DEFAULT_LANGUAGE:
        return format_when(moment, zone)
    local = moment.astimezone(load_zone(zone))
    return f"{i18n.format_day(local.date())}, {local:%H:%M} ({zone})"


def _duration(minutes: int) -> str:
    if i18n.current() == i18n.DEFAULT_LANGUAGE:
        return f"{minutes} minutes"
    return i18n.format_duration(minutes)


def _summary(session: Session, booking: Booking, zone: str) -> dict[str, Any]:
    host, booking_type = repository.host_and_type_of(session, booking)
    return {
        "lead_name": booking.lead_name,
        "lead_email": booking.lead_email,
        "host_name": host.name,
        "booking_title": booking_type.title,
        "when": _when(booking.start_at, zone),
        "ends": f"{booking.end_at.astimezone(load_zone(zone)):%H:%M}",
        "duration": _duration(booking_type.duration_minutes),
        "location": _location(booking, booking_type),
        "price": i18n.format_price(booking.amount_minor, booking.currency),
        "refund_policy": refund_policy(booking, booking_type),
    }


def _invitation(
    session: Session, booking: Booking, *, method: str = "REQUEST", bump: int = 0
) -> dict[str, Any]:
    host, booking_type = repository.host_and_type_of(session, booking)
    return {
        "uid": event_uid(booking.google_event_id or event_id_for(booking.id)),
        "method": method,
        "sequence": version(session, booking) + bump,
        "start": booking.start_at.isoformat(),
        "end": booking.end_at.isoformat(),
        "stamp": utcnow().isoformat(),
        "summary": f"{booking_type.title} with {host.name}",
        "location": _location(booking, booking_type),
    }


def _to_lead(
    session: Session,
    booking: Booking,
    template: MailTemplate,
    key: str,
    *,
    extra: dict[str, Any] | None = None,
    invitation: dict[str, Any] | None = None,
) -> None:
    pending = _lead_mail(session, booking, template, key, extra=extra, invitation=invitation)
    if pending is not None:
        queue_mail(session, pending)


def _lead_mail(
    session: Session,
    booking: Booking,
    template: MailTemplate,
    key: str,
    *,
    extra: dict[str, Any] | None = None,
    invitation: dict[str, Any] | None = None,
) -> PendingMail | None:
    host = session.get(Host, booking.host_id)
    # An erased lead (``leads.service``) is mailed nothing more: their address is a tombstone.
    if host is None or not booking.lead_email or booking.lead_erased_at is not None:
        return None
    # Worded in the language of the page the lead booked on; the renderer reads "language".
    # The callers word their ``extra`` under the same ``i18n.speaking(booking.lead_language)``.
    language = booking.lead_language
    with i18n.speaking(language):
        summary = _summary(session, booking, booking.lead_time_zone)
    return pending_mail(
        template=template,
        to=booking.lead_email,
        context={
            **summary,
            "lead_booking_id": str(booking.id),
            "language": language,
            **(extra or {}),
        },
        dedupe_key=f"mail:{key}:{booking.id}",
        subject_key=str(booking.id),
        host_id=booking.host_id,
        sender_name=host.name,
        reply_to=host.email,
        invitation=invitation,
    )


def _to_host(
    session: Session,
    booking: Booking,
    template: MailTemplate,
    key: str,
    extra: dict[str, Any] | None = None,
) -> None:
    pending = _host_mail(session, booking, template, key, extra)
    if pending is not None:
        queue_mail(session, pending)


def _host_mail(
    session: Session,
    booking: Booking,
    template: MailTemplate,
    key: str,
    extra: dict[str, Any] | None = None,
) -> PendingMail | None:
    host = session.get(Host, booking.host_id)
    if host is None:
        return None
    return pending_mail(
        template=template,
        to=host.email,
        context={
            **_summary(session, booking, host.timezone),
            "booking_id": str(booking.id),
            **(extra or {}),
        },
        dedupe_key=f"mail:{key}:{booking.id}",
        subject_key=str(booking.id),
        host_id=booking.host_id,
        reply_to=booking.lead_email if booking.lead_erased_at is None else "",
    )


def booking_confirmed(session: Session, booking: Booking, *, now: datetime | None = None) -> None:
    """Paid (or approved, or free): the lead's confirmation with the invitation; the host told.

    ``now`` is the moment of the confirmation, for the reminders still ahead of
    it; a job that sends the mails itself passes the acceptance's (``mail_tasks``).
    """
    for pending in confirmation_mails(session, booking):
        queue_mail(session, pending)
    plan_reminders(session, booking, now or utcnow())


def confirmation_mails(session: Session, booking: Booking) -> list[PendingMail]:
    """``booking_confirmed``'s mails, worded, not queued: only reads ``session``."""
    lead = _lead_mail(
        session,
        booking,
        MailTemplate.BOOKING_CONFIRMED,
        "confirmed",
        invitation=_invitation(session, booking),
    )
    host = _host_mail(session, booking, MailTemplate.HOST_NEW_BOOKING, "host_new")
    return [pending for pending in (lead, host) if pending is not None]


def awaiting_approval(session: Session, booking: Booking) -> None:
    """Paid, waiting for the host: the lead learns what a decline means; the host is asked."""
    for pending in approval_request_mails(session, booking):
        queue_mail(session, pending)


def approval_request_mails(session: Session, booking: Booking) -> list[PendingMail]:
    """``awaiting_approval``'s mails, worded, not queued: only reads ``session``."""
    paid = booking.amount_minor > 0 and booking.paid_at is not None
    lead = _lead_mail(
        session,
        booking,
        MailTemplate.AWAITING_APPROVAL,
        "awaiting_approval",
        extra={"paid": paid},
    )
    host = _host_mail(session, booking, MailTemplate.HOST_APPROVAL_NEEDED, "host_approval")
    return [pending for pending in (lead, host) if pending is not None]


def booking_declined(session: Session, booking: Booking) -> None:
    refund = booking.paid_at is not None and booking.amount_minor > 0
    with i18n.speaking(booking.lead_language):
        amount = i18n.format_money(booking.amount_minor, booking.currency) if refund else ""
    _to_lead(session, booking, MailTemplate.BOOKING_DECLINED, "declined", extra={"refund": amount})
    drop_reminders(session, booking)


def _refund_words(session: Session, booking: Booking) -> str:
    """What the cancellation does to the lead's money, from what ``cancel`` noted.

    Worded in the current language: the caller speaks the lead's.
    """
    if booking.paid_at is None or booking.amount_minor <= 0:
        return ""
    kinds = {entry.kind for entry in repository.timeline(session, booking.id)}
    if "refund_requested" in kinds:
        amount = i18n.format_money(booking.amount_minor, booking.currency)
        refunding = i18n.gettext("{amount} is being refunded to your original payment method.")
        return f"{refunding.format(amount=amount)} {i18n.gettext(REFUND_DELAY)}"
    return i18n.gettext(
        "This cancellation came after the refund cut-off, so the payment is not refunded."
    )


def booking_cancelled(session: Session, booking: Booking, *, by: str, had_event: bool) -> None:
    """The lead's notice (a CANCEL for the invitation they were sent); the host's if by the lead."""
    invitation = (
        _invitation(session, booking, method="CANCEL", bump=1)
        if had_event or booking.paid_at is not None
        else None
    )
    with i18n.speaking(booking.lead_language):
        refund = _refund_words(session, booking)
    _to_lead(
        session,
        booking,
        MailTemplate.BOOKING_CANCELLED,
        "cancelled",
        extra={"by_lead": by == "lead", "refund": refund},
        invitation=invitation,
    )
    drop_reminders(session, booking)
    if by == "lead":
        _to_host(
            session,
            booking,
            MailTemplate.HOST_BOOKING_CHANGED,
            "host_cancelled",
            {"change": "cancelled", "old_when": ""},
        )


def booking_rescheduled(
    session: Session, booking: Booking, *, old_start: datetime, by: str
) -> None:
    """The lead's update (an invitation one ``SEQUENCE`` higher); the host if by the lead."""
    seq = version(session, booking)
    with i18n.speaking(booking.lead_language):
        old_when = _when(old_start, booking.lead_time_zone)
    _to_lead(
        session,
        booking,
        MailTemplate.BOOKING_RESCHEDULED,
        f"rescheduled:{seq}",
        extra={"old_when": old_when, "by_lead": by == "lead"},
        invitation=_invitation(session, booking),
    )
    if booking.status in REMINDED_STATUSES:
        plan_reminders(session, booking, utcnow())
    if by == "lead":
        host = session.get(Host, booking.host_id)
        _to_host(
            session,
            booking,
            MailTemplate.HOST_BOOKING_CHANGED,
            f"host_rescheduled:{seq}",
            {
                "change": "rescheduled",
                "old_when": format_when(old_start, host.timezone if host else "UTC"),
            },
        )


def plan_reminders(session: Session, booking: Booking, now: datetime) -> None:
    """One reminder job per offset still ahead, due at its moment; other plans dropped.

    Keyed by the booking's version, so a reschedule plans afresh for the new
    time, and an offset already past (a booking made or moved close to its
    start) is skipped rather than sent late. Planning the same version again
    (a confirmation worded after a reschedule, ``mail_tasks``) keeps the
    reminders still ahead: dropping them would cancel the very jobs their keys
    then name, and nothing would be planned.
    """
    booking_type = repository.get_booking_type_by_id(session, booking.booking_type_id)
    offsets = [
        int(minutes) for minutes in (booking_type and booking_type.mail_reminder_minutes) or []
    ]
    seq = version(session, booking)
    ahead = {
        f"{SEND_REMINDER}:{booking.id}:{seq}:{minutes}": minutes
        for minutes in offsets
        if booking.start_at - timedelta(minutes=minutes) > now
    }
    cancel_pending_for_subject(
        session,
        str(booking.id),
        kinds=[SEND_REMINDER],
        only=lambda job: job.dedupe_key not in ahead,
    )
    # One statement for all offsets (known keys skip): this runs for every paid booking.
    start = booking.start_at.isoformat()
    reminders = [
        NewJob(
            SEND_REMINDER,
            {"booking_id": str(booking.id), "start": start, "minutes": minutes},
            subject_key=str(booking.id),
            host_id=booking.host_id,
            dedupe_key=key,
            run_after=booking.start_at - timedelta(minutes=minutes),
        )
        for key, minutes in ahead.items()
    ]
    if reminders:
        enqueue_all(session, reminders)


def drop_reminders(session: Session, booking: Booking) -> None:
    """Cancel the booking's waiting reminders; a running one re-checks the booking itself."""
    cancel_pending_for_subject(session, str(booking.id), kinds=[SEND_REMINDER])


def lead_in(minutes: int) -> str:
    """``in 24 hours``, ``in 1 hour``, ``in 90 minutes``: how far ahead, in the current language.

    Only the lead's reminder speaks German; the host's and the job's log stay English.
    """
    if minutes % 60 == 0:
        hours = minutes // 60
        return i18n.ngettext("in %(num)d hour", "in %(num)d hours", hours) % {"num": hours}
    return i18n.ngettext("in %(num)d minute", "in %(num)d minutes", minutes) % {"num": minutes}


def reminder(session: Session, booking: Booking, minutes: int) -> None:
    """The reminder mails of one offset (the lead's; the host's if the type says so)."""
    booking_type = repository.get_booking_type_by_id(session, booking.booking_type_id)
    key = f"reminder:{minutes}:{version(session, booking)}"
    # starts_at: send_email re-checks it, so a reminder held up past a change is dropped.
    extra = {"lead_in": lead_in(minutes), "starts_at": booking.start_at.isoformat()}
    with i18n.speaking(booking.lead_language):
        lead_extra = {**extra, "lead_in": lead_in(minutes)}
    _to_lead(session, booking, MailTemplate.REMINDER, key, extra=lead_extra)
    if booking_type is not None and booking_type.remind_host:
        _to_host(session, booking, MailTemplate.HOST_REMINDER, f"host_{key}", extra)


def note_undeliverable(session: Session, subject_key: str, to: str, reason: str) -> None:
    """A mail the server refused for good: said on the booking's timeline, booking untouched."""
    try:
        booking_id = uuid.UUID(subject_key)
    except ValueError:
        return
    if repository.get_booking(session, booking_id) is None:
        return
    session.add(
        BookingEvent(
            booking_id=booking_id,
            kind="mail_undeliverable",
            detail=f"An e-mail to {to} could not be delivered: {reason}",
        )
    )
