"""Job handlers of the payment family: refund a payment, close an unpaid checkout.

The provider is called with an idempotency key, holding no transaction; the
outcome's effects record the result with the job's new state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy.orm import Session

from leadscalendar.bookings.google_outcomes import park
from leadscalendar.bookings.job_effects import NoteOnBooking
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.service import record_refund
from leadscalendar.jobs import JobContext, Outcome, Retry, Succeeded
from leadscalendar.payments.errors import PaymentError, PaymentRejectedError

if TYPE_CHECKING:
    from leadscalendar.bookings.tasks import TaskDependencies


def refund_payment(ctx: JobContext, deps: TaskDependencies) -> Outcome:
    """Refund through the provider with an idempotency key, so a retry never refunds twice."""
    payload = ctx.job.payload
    booking_id = uuid.UUID(payload["booking_id"])
    amount = payload.get("amount_minor")
    try:
        refund = deps.payments.refund(
            str(payload["payment_intent_id"]),
            int(amount) if amount is not None else None,
            idempotency_key=f"refund-{booking_id}",
        )
    except PaymentError as error:
        if error.retryable:
            return Retry(reason=error.message, operation="refunds.create")
        # The provider's own words are in the log (payments.stripe), not in a page.
        return park(
            ParkCode.REFUND_FAILED,
            "The payment provider refused the refund; the server log has its explanation.",
            booking_id,
        )
    return Succeeded(
        f"refund {refund.id} {refund.status}",
        effects=(RecordRefund(booking_id, refund.id, refund.amount_minor),),
        operation="refunds.create",
    )


def expire_checkout(ctx: JobContext, deps: TaskDependencies) -> Outcome:
    """Close an unpaid booking's checkout at the provider so the lead can no longer pay.

    The provider refuses once the session is not open: already expired (nothing
    to do) or completed, when the lead paid first; that payment's webhook then
    finds the booking ended and refunds it with the true reason (payment_events).
    """
    payload = ctx.job.payload
    booking_id = uuid.UUID(payload["booking_id"])
    session_id = str(payload["checkout_session_id"])
    try:
        closed = deps.payments.expire_checkout(session_id)
    except PaymentRejectedError:
        try:
            closed = deps.payments.retrieve_checkout(session_id)
        except PaymentError as error:
            if error.retryable:
                return Retry(reason=error.message, operation="checkout.sessions.retrieve")
            return Succeeded("the provider has no such checkout: nothing to close")
    except PaymentError as error:
        return Retry(reason=error.message, operation="checkout.sessions.expire")
    detail = f"checkout {closed.id} is {closed.status} ({closed.payment_status})"
    return Succeeded(
        detail,
        effects=(NoteOnBooking(booking_id, "checkout_closed", detail),),
        operation="checkout.sessions.expire",
    )


@dataclass(frozen=True)
class RecordRefund:
    """The refund the provider accepted, on the booking (``service.record_refund``)."""

    name: ClassVar[str] = "booking.record_refund"
    booking_id: uuid.UUID
    refund_id: str
    amount_minor: int

    def apply(self, session: Session) -> None:
        record_refund(
            session, self.booking_id, refund_id=self.refund_id, amount_minor=self.amount_minor
        )
