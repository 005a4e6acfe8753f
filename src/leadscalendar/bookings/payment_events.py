"""What a verified payment event does to its booking.

Runs inside the webhook's transaction, only for events seen for the first
time (payments.service dedupes by provider event id). Events may arrive in
any order: a ``checkout.session.expired`` after the payment changes nothing,
a second "paid" for the same booking changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadscalendar.bookings import repository
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.payment_checks import payment_mismatch, refuse_unmatched_payment
from leadscalendar.bookings.service import accept, enqueue_refund, move, note
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.logging import log_context
from leadscalendar.payments.models import PaymentEventKind
from leadscalendar.payments.webhooks import VerifiedPaymentEvent
from leadscalendar.webhooks_out import service as webhooks

logger = logging.getLogger(__name__)

SLOT_GONE_REASON = (
    "Your payment arrived after your hold had expired and someone else had booked "
    "that time meanwhile, so it has been refunded in full."
)
CANCELLED_BEFORE_PAYMENT_REASON = (
    "This booking was cancelled before your payment arrived, so it has been refunded in full."
)
PAYMENT_PENDING_REASON = (
    "Your payment is on its way from your bank. The time stays reserved for you until it arrives."
)
# How long the slot waits for a delayed payment method's result. Stripe: SEPA
# Direct Debit "can take up to 14 business days to receive notification on the
# success or failure of a payment" (https://docs.stripe.com/payments/sepa-debit),
# the slowest of the delayed methods Checkout offers; 14 business days plus
# weekends and bank holidays fit in three weeks.
ASYNC_PAYMENT_WINDOW = timedelta(days=21)


class BookingPaymentHandler:
    """The bookings domain's ``PaymentEventHandler``."""

    def __call__(self, session: Session, event: VerifiedPaymentEvent) -> None:
        # Locked and current, with its type (one statement): the type then comes from
        # the session's identity map, and the booking's changes flush as one UPDATE.
        # The same statement says whether the host has outbound-webhook endpoints.
        found = repository.lock_for_payment(session, event.booking_id, event.checkout_session_id)
        if found is None:
            logger.warning("payment event %s names no booking we know", event.event_id)
            return
        booking, _booking_type, has_endpoints = found
        if not has_endpoints:
            webhooks.known_without_endpoints(session, booking.host_id)
        with log_context(booking_id=str(booking.id)):
            handle_payment_event(session, booking, event, utcnow())


def handle_payment_event(
    session: Session, booking: Booking, event: VerifiedPaymentEvent, now: datetime
) -> None:
    kind = event.kind
    if kind in (PaymentEventKind.CHECKOUT_PAID, PaymentEventKind.ASYNC_SUCCEEDED):
        _on_paid(session, booking, event, now)
    elif kind is PaymentEventKind.CHECKOUT_AWAITING_ASYNC:
        _on_awaiting_async(session, booking, now)
    elif kind in (PaymentEventKind.ASYNC_FAILED, PaymentEventKind.CHECKOUT_EXPIRED):
        _on_payment_ended(session, booking, kind)
    else:
        note(session, booking, "payment_event", event.type)


def _on_paid(
    session: Session, booking: Booking, event: VerifiedPaymentEvent, now: datetime
) -> None:
    if booking.paid_at is not None:
        note(session, booking, "payment_duplicate", f"{event.type} for an already paid booking")
        return
    mismatch = payment_mismatch(booking, event)
    if mismatch is not None:
        logger.error("payment event %s does not match booking %s", event.event_id, booking.id)
        refuse_unmatched_payment(session, booking, event, mismatch)
        return
    # Before any change: read later, it would flush the changes so far as an UPDATE of
    # their own (autoflush), and the state change below as a second one.
    booking_type = repository.get_booking_type_by_id(session, booking.booking_type_id)
    assert booking_type is not None
    free = _still_free(session, booking, now)
    booking.paid_at = now
    booking.payment_intent_id = event.payment_intent_id
    booking.checkout_session_id = booking.checkout_session_id or event.checkout_session_id
    note(session, booking, "payment_succeeded", f"{event.type} ({event.event_id})")
    if free:
        detail = "payment verified"
        if booking.status is BookingStatus.EXPIRED:
            detail = "late payment verified; the slot was still free"
        # The mails (and reminders) are planned by a job: see ``accept``.
        accept(session, booking, booking_type, now, detail, mails_later=True)
        return
    # The slot went to someone else, or the booking was cancelled: give the money back.
    if booking.status is BookingStatus.CANCELLED:
        _refund_after_cancellation(session, booking)
        return
    if booking.status in (BookingStatus.HELD, BookingStatus.AWAITING_PAYMENT):
        move(session, booking, BookingStatus.EXPIRED, "hold expired before payment")
    booking.status_reason = SLOT_GONE_REASON
    enqueue_refund(session, booking, "paid for a slot that was no longer free")


def _still_free(session: Session, booking: Booking, now: datetime) -> bool:
    """Whether the payment can have the booking's slot: a hold still running, or a free slot.

    An expired booking no longer occupies its slot, whatever its hold said: the
    slot is checked. Cancelled and finished bookings never take a payment.
    """
    if booking.status in (BookingStatus.HELD, BookingStatus.AWAITING_PAYMENT):
        if booking.hold_expires_at is None or booking.hold_expires_at > now:
            return True
        return _slot_still_free(session, booking, now)
    return booking.status is BookingStatus.EXPIRED and _slot_still_free(session, booking, now)


def _refund_after_cancellation(session: Session, booking: Booking) -> None:
    """The lead paid in the moments before the cancellation closed the checkout: refund, truly.

    The lead's refund mail takes its reason from the timeline (bookings.notices):
    the refund's own note is not one it knows, so the cancellation's is used.
    """
    booking.status_reason = CANCELLED_BEFORE_PAYMENT_REASON
    enqueue_refund(session, booking, "paid after the booking was cancelled")


def _on_awaiting_async(session: Session, booking: Booking, now: datetime) -> None:
    """Checkout completed with a delayed method: keep the slot until the money's fate is known.

    Without this the hold lapses while the bank works, the slot is sold again,
    and the money then arrives for a time someone else has. Bounded by Stripe's
    window, so a result that never comes cannot keep the slot forever.
    """
    note(session, booking, "payment_pending", "the payment method confirms later; waiting")
    if booking.paid_at is not None or booking.status not in (
        BookingStatus.HELD,
        BookingStatus.AWAITING_PAYMENT,
    ):
        return
    lapsed = booking.hold_expires_at is not None and booking.hold_expires_at <= now
    if lapsed and not _slot_still_free(session, booking, now):
        return  # someone else has the time; money that still arrives is refunded (_on_paid)
    booking.payment_pending_since = now
    booking.hold_expires_at = max(booking.hold_expires_at or now, now + ASYNC_PAYMENT_WINDOW)
    booking.status_reason = PAYMENT_PENDING_REASON


def _slot_still_free(session: Session, booking: Booking, now: datetime) -> bool:
    clashes = repository.active_bookings_between(
        session, booking.host_id, booking.start_at, booking.end_at, now=now, exclude=booking.id
    )
    return not clashes


def _on_payment_ended(session: Session, booking: Booking, kind: PaymentEventKind) -> None:
    if booking.status not in (BookingStatus.HELD, BookingStatus.AWAITING_PAYMENT):
        note(session, booking, "payment_event_ignored", f"{kind.value} after the booking moved on")
        return
    booking.payment_pending_since = None
    if kind is PaymentEventKind.ASYNC_FAILED:
        booking.status_reason = "The payment failed, so the time was released."
    else:
        booking.status_reason = "The checkout expired before payment, so the time was released."
    move(session, booking, BookingStatus.EXPIRED, kind.value)
