"""A paid event must be the payment its booking asked for, or it does not count.

The checkout the booking created fixed an amount, a currency and a mode (live
or test). A "paid" event that differs in any of them (a test payment on a live
site, a session someone made with our booking id and another price, a provider
mix-up) must not mark the booking paid: it is already in the payment log,
gets refunded by its own job, and the host is told in words.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from leadscalendar.bookings.job_effects import TimelineLine
from leadscalendar.bookings.job_kinds import REFUND_UNMATCHED_PAYMENT
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.notices import mail_host_about
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.service import note
from leadscalendar.jobs import JobContext, Outcome, Park, Retry, Succeeded, enqueue
from leadscalendar.notifications import MailTemplate
from leadscalendar.payments.errors import PaymentError
from leadscalendar.payments.money import format_money
from leadscalendar.payments.provider import PaymentProvider
from leadscalendar.payments.webhooks import VerifiedPaymentEvent


def _mode(livemode: bool) -> str:
    return "a real (live) payment" if livemode else "a test payment, not real money"


def payment_mismatch(booking: Booking, event: VerifiedPaymentEvent) -> str | None:
    """Why ``event`` is not the payment ``booking``'s checkout asked for, or None if it is."""
    expected = format_money(booking.amount_minor, booking.currency)
    if event.amount_minor is None or event.currency is None:
        return f"The payment did not say how much was paid; the booking costs {expected}."
    if event.currency != booking.currency:
        return (
            f"The payment was in {event.currency.upper()}, "
            f"but the booking is priced in {booking.currency.upper()} ({expected})."
        )
    if event.amount_minor != booking.amount_minor:
        paid = format_money(event.amount_minor, event.currency)
        return f"The payment was {paid}, but the booking costs {expected}."
    if booking.checkout_livemode is not None and event.livemode != booking.checkout_livemode:
        return (
            f"The payment was {_mode(event.livemode)}, "
            f"but the booking's checkout asked for {_mode(booking.checkout_livemode)}."
        )
    return None


def refuse_unmatched_payment(
    session: Session, booking: Booking, event: VerifiedPaymentEvent, reason: str
) -> None:
    """Leave the booking as it is; refund the payment and tell the host, once per event."""
    note(session, booking, "payment_mismatch", f"{event.type} ({event.event_id}): {reason}")
    intent = event.payment_intent_id
    if intent:
        refund = "it is being refunded in full."
        # Keyed by the payment, not the booking: the right payment may still come and
        # be refunded later for its own reasons without colliding with this one.
        enqueue(
            session,
            REFUND_UNMATCHED_PAYMENT,
            {"booking_id": str(booking.id), "payment_intent_id": intent},
            subject_key=str(booking.id),
            host_id=booking.host_id,
            dedupe_key=f"{REFUND_UNMATCHED_PAYMENT}:{intent}",
        )
        note(session, booking, "refund_requested", "a payment that did not match the booking")
    else:
        refund = "it names no payment to refund: please refund it from your payment provider."
    _tell_host(session, booking, event, reason, refund)


def _tell_host(
    session: Session, booking: Booking, event: VerifiedPaymentEvent, reason: str, refund: str
) -> None:
    mail_host_about(
        session,
        booking,
        MailTemplate.PAYMENT_MISMATCH,
        dedupe_key=f"mail:payment_mismatch:{event.provider}:{event.event_id}",
        extra={"reason": reason, "refund": refund},
    )


def refund_unmatched_payment(ctx: JobContext, payments: PaymentProvider) -> Outcome:
    """Refund the unmatched payment in full; the booking's state is not touched."""
    payload = ctx.job.payload
    booking_id = uuid.UUID(payload["booking_id"])
    intent = str(payload["payment_intent_id"])
    try:
        refund = payments.refund(
            intent,
            None,
            idempotency_key=f"refund-unmatched-{intent}",
            metadata={"booking_id": str(booking_id), "reason": "payment_mismatch"},
        )
    except PaymentError as error:
        if error.retryable:
            return Retry(reason=error.message, operation="refunds.create")
        reason = f"The refund of a payment that did not match was refused: {error.message}"
        return Park(
            code=ParkCode.REFUND_FAILED,
            reason=reason,
            operation="refunds.create",
            effects=(TimelineLine(booking_id, "unmatched_refund_failed", reason),),
        )
    amount = format_money(refund.amount_minor, refund.currency)
    return Succeeded(
        f"refund {refund.id} {refund.status}",
        effects=(
            TimelineLine(
                booking_id, "unmatched_payment_refunded", f"refund {refund.id} of {amount}"
            ),
        ),
        operation="refunds.create",
    )
