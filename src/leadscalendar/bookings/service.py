"""The booking flow: hold, confirm, pay, approve, cancel, reschedule.

Every decision about a slot is taken under the per-host lock (invariant 3);
every paid booking gets its create-event job in the same transaction that
marks it paid (invariant 2). Nothing here commits: the caller's boundary does.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadscalendar import i18n
from leadscalendar.accounts.models import Host
from leadscalendar.availability import BusyInterval, SlotRejection, SlotUnavailableError
from leadscalendar.bookings import mail_tasks, mails, repository, webhook_events
from leadscalendar.bookings.answers import check_answers
from leadscalendar.bookings.errors import (
    BookingNotFoundError,
    SlotNotOfferedError,
    SlotTakenError,
    TooManyActiveHoldsError,
)
from leadscalendar.bookings.job_kinds import (
    CREATE_EVENT,
    DELETE_EVENT,
    EXPIRE_CHECKOUT,
    REFUND_PAYMENT,
    UPDATE_EVENT,
)
from leadscalendar.bookings.mail_tasks import MailPlan
from leadscalendar.bookings.models import Booking, BookingEvent, BookingType
from leadscalendar.bookings.notices import notify_refund
from leadscalendar.bookings.schemas import HoldRequest
from leadscalendar.bookings.slots import SlotContext
from leadscalendar.bookings.states import BookingStatus, check_transition
from leadscalendar.google import repository as google_repository
from leadscalendar.jobs import NewJob, enqueue, enqueue_all
from leadscalendar.payments.money import format_money
from leadscalendar.payments.provider import CheckoutSession

logger = logging.getLogger(__name__)

ALTERNATIVES_SHOWN = 5
ALTERNATIVES_HORIZON = timedelta(days=14)
# Rejections that mean someone (a booking, the host's calendar) took the time.
TAKEN_REJECTIONS = frozenset(
    {
        SlotRejection.ALREADY_BOOKED,
        SlotRejection.CALENDAR_BUSY,
        SlotRejection.DAILY_LIMIT_REACHED,
    }
)
# Stripe refuses Checkout Sessions that expire sooner than 30 minutes.
MIN_CHECKOUT_MINUTES = 30


def note(session: Session, booking: Booking, kind: str, detail: str = "") -> None:
    session.add(BookingEvent(booking_id=booking.id, kind=kind, detail=detail))


def move(session: Session, booking: Booking, target: BookingStatus, detail: str = "") -> None:
    """The only way a booking changes state: checked, written to its timeline, and
    reported to the host's webhook endpoints (in this same transaction)."""
    check_transition(booking.status, target)
    booking.status = target
    note(session, booking, f"status_{target.value}", detail)
    webhook_events.status_changed(session, booking)


def _alternatives(context: SlotContext, after: datetime) -> tuple[datetime, ...]:
    slots = context.slots(after, after + ALTERNATIVES_HORIZON)
    return tuple(slot.start for slot in slots[:ALTERNATIVES_SHOWN])


def create_hold(
    session: Session,
    *,
    host: Host,
    booking_type: BookingType,
    request: HoldRequest,
    busy: Sequence[BusyInterval],
    now: datetime,
    max_active_holds_per_email: int = 0,
) -> Booking:
    """Hold a slot for the lead, or raise ``SlotTakenError`` with the next free slots.

    ``busy`` is the host's Google free/busy, fetched by the caller before the
    lock so no network call happens while other leads wait. With
    ``max_active_holds_per_email`` (0: no limit) a lead e-mail may hold at
    most that many unexpired unpaid slots with this host; counted under the
    lock, so the limit is exact across processes. The intake answers are
    checked first (``AnswersInvalidError``, before any lock is taken).
    """
    answers = check_answers(
        booking_type.questions, request.answers, lead_time_zone=request.lead.time_zone
    )
    repository.lock_host(session, host.id)
    if max_active_holds_per_email > 0:
        expiries = repository.active_hold_expiries_for_email(
            session, host.id, str(request.lead.email), now
        )
        if len(expiries) >= max_active_holds_per_email:
            # The earliest expiry frees one place.
            wait = expiries[len(expiries) - max_active_holds_per_email] - now
            raise TooManyActiveHoldsError(math.ceil(wait.total_seconds()))
    start = request.start
    end = start + timedelta(minutes=booking_type.duration_minutes)
    context = SlotContext(
        session, host, booking_type, busy=busy, now=now, window_start=start, window_end=end
    )
    rejection = context.rejection(start)
    if rejection is not None:
        alternatives = _alternatives(context, max(now, start - timedelta(hours=12)))
        if rejection in TAKEN_REJECTIONS:
            raise SlotTakenError(
                "That time is no longer available. Here are the next free times.", alternatives
            )
        # A time that was never offered is the caller's mistake, not a race lost.
        reason = SlotUnavailableError(rejection).message
        raise SlotNotOfferedError(f"{reason} Here are the next free times.", alternatives)
    lead = request.lead
    booking = Booking(
        host_id=host.id,
        booking_type_id=booking_type.id,
        status=BookingStatus.HELD,
        start_at=start,
        end_at=end,
        lead_time_zone=lead.time_zone,
        lead_name=lead.name,
        lead_email=str(lead.email),
        # The page's language, from the request's context (leadscalendar.i18n).
        lead_language=i18n.current(),
        notes=lead.notes,
        guests=[{"email": str(guest.email), "name": guest.name} for guest in lead.guests],
        answers=[dict(answer) for answer in answers],
        source=request.source.stored() if request.source else {},
        hold_expires_at=now + timedelta(minutes=booking_type.hold_minutes),
        amount_minor=booking_type.price_minor,
        currency=booking_type.currency,
    )
    session.add(booking)
    session.flush()
    note(session, booking, "status_held", f"slot held until {booking.hold_expires_at:%H:%M} UTC")
    return booking


def checkout_expiry(booking: Booking, now: datetime) -> datetime:
    """Align the checkout with the hold, but never below Stripe's 30-minute minimum."""
    assert booking.hold_expires_at is not None
    return max(booking.hold_expires_at, now + timedelta(minutes=MIN_CHECKOUT_MINUTES, seconds=30))


def choose_checkout_expiry(booking: Booking, now: datetime, *, again: bool = False) -> bool:
    """Fix the checkout's expiry once, so every attempt sends Stripe the same request.

    ``again`` only after the provider refused the stored expiry as too close:
    then no session exists under the key (Stripe keeps no result for a request
    it refused as invalid) and a fresh expiry is safe. Returns whether it changed.
    """
    if booking.checkout_expires_at is not None and not again:
        return False
    booking.checkout_started_at = now
    booking.checkout_expires_at = checkout_expiry(booking, now)
    return True


def confirm_free(
    session: Session, booking: Booking, booking_type: BookingType, now: datetime
) -> Booking:
    """A free booking type goes from confirmation straight to paid (or approval)."""
    if booking.status is not BookingStatus.HELD:
        return booking  # a double-click: the first confirmation did the work
    accept(session, booking, booking_type, now, "confirmed (free)")
    return booking


def record_checkout(
    session: Session, booking: Booking, checkout: CheckoutSession, now: datetime
) -> Booking:
    """The lead was sent to pay: the booking waits for the provider's webhook."""
    if booking.status is BookingStatus.HELD:
        booking.checkout_session_id = checkout.id
        booking.checkout_url = checkout.url
        booking.checkout_livemode = checkout.livemode
        booking.hold_expires_at = max(booking.hold_expires_at or now, checkout.expires_at)
        move(session, booking, BookingStatus.AWAITING_PAYMENT, f"checkout {checkout.id}")
    return booking


def accept(
    session: Session,
    booking: Booking,
    booking_type: BookingType,
    now: datetime,
    detail: str,
    *,
    mails_later: bool = False,
) -> None:
    """The booking is on: ``paid`` with its event job, or ``awaiting_approval``; mails follow.

    ``mails_later`` (the payment webhook) leaves the mails and reminders to one
    ``booking_mails`` job enqueued here, in this transaction, beside the
    create-event job (invariant 2 is about that one): wording them (two
    contexts, an invitation, the timeline read for the sequence) is most of an
    acceptance's CPU, and the webhook should answer fast. They say the same
    and go at the same times (``mail_tasks``).
    """
    booking.hold_expires_at = None
    booking.payment_pending_since = None
    booking.status_reason = None
    if booking_type.requires_approval:
        # The reason first: the move's webhook event carries the booking as it is then.
        booking.status_reason = "Waiting for the host to approve."
        move(session, booking, BookingStatus.AWAITING_APPROVAL, detail)
        if mails_later:
            enqueue_all(session, [mail_tasks.later(booking, MailPlan.AWAITING_APPROVAL, now)])
        else:
            mails.awaiting_approval(session, booking)
        return
    move(session, booking, BookingStatus.PAID, detail)
    if mails_later:
        later = mail_tasks.later(booking, MailPlan.CONFIRMED, now)
        enqueue_all(session, [event_creation_job(booking), later])
        return
    enqueue_event_creation(session, booking)
    mails.booking_confirmed(session, booking)


def event_creation_job(booking: Booking) -> NewJob:
    """The booking's one create-event job: its dedupe key makes a second enqueue a no-op."""
    return NewJob(
        CREATE_EVENT,
        {"booking_id": str(booking.id)},
        subject_key=str(booking.id),
        host_id=booking.host_id,
        dedupe_key=f"{CREATE_EVENT}:{booking.id}",
    )


def enqueue_event_creation(session: Session, booking: Booking) -> None:
    enqueue_all(session, [event_creation_job(booking)])


def enqueue_event_update(session: Session, booking: Booking) -> None:
    """Bring the booking's event to its current times; an event deleted in Google comes back."""
    enqueue(
        session,
        UPDATE_EVENT,
        {"booking_id": str(booking.id)},
        subject_key=str(booking.id),
        host_id=booking.host_id,
    )


def enqueue_event_deletion(session: Session, booking: Booking) -> None:
    calendar_id = booking.google_calendar_id
    if calendar_id is None:
        connection = google_repository.get_connection(session, booking.host_id)
        booking_type = repository.get_booking_type_by_id(session, booking.booking_type_id)
        calendar_id = (booking_type and booking_type.calendar_id) or (
            connection.calendar_id if connection else "primary"
        )
    enqueue(
        session,
        DELETE_EVENT,
        {
            "booking_id": str(booking.id),
            "host_id": str(booking.host_id),
            "calendar_id": calendar_id,
            "event_id": booking.google_event_id,
        },
        subject_key=str(booking.id),
        host_id=booking.host_id,
    )


def enqueue_refund(session: Session, booking: Booking, reason: str) -> None:
    if not booking.payment_intent_id or booking.amount_minor <= 0:
        return
    enqueue(
        session,
        REFUND_PAYMENT,
        {
            "booking_id": str(booking.id),
            "payment_intent_id": booking.payment_intent_id,
            "amount_minor": None,
        },
        subject_key=str(booking.id),
        host_id=booking.host_id,
        dedupe_key=f"{REFUND_PAYMENT}:{booking.id}",
    )
    note(session, booking, "refund_requested", reason)


def enqueue_checkout_expiry(session: Session, booking: Booking) -> None:
    """Close the booking's open checkout at the provider, so nobody pays for what ended.

    A job, not a call: the provider is never called inside a write transaction,
    and the job exists exactly when the change that called for it commits.
    """
    if not booking.checkout_session_id or booking.paid_at is not None:
        return
    enqueue(
        session,
        EXPIRE_CHECKOUT,
        {"booking_id": str(booking.id), "checkout_session_id": booking.checkout_session_id},
        subject_key=str(booking.id),
        host_id=booking.host_id,
        dedupe_key=f"{EXPIRE_CHECKOUT}:{booking.id}",
    )


def record_refund(
    session: Session, booking_id: uuid.UUID, *, refund_id: str, amount_minor: int
) -> None:
    booking = repository.get_booking(session, booking_id, for_update=True)
    if booking is None:
        return
    amount = format_money(amount_minor, booking.currency)
    note(session, booking, "refunded", f"refund {refund_id} of {amount}")
    notify_refund(session, booking, amount_minor=amount_minor)
    if booking.status in (BookingStatus.AWAITING_PAYMENT, BookingStatus.EXPIRED):
        move(session, booking, BookingStatus.REFUNDED)


def get_booking(session: Session, booking_id: uuid.UUID, *, for_update: bool = False) -> Booking:
    booking = repository.get_booking(session, booking_id, for_update=for_update)
    if booking is None:
        raise BookingNotFoundError()
    return booking
