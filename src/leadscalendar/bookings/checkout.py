"""Starting a hosted checkout for a held booking (network only; no database)."""

from __future__ import annotations

from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.payments.provider import CheckoutRequest, CheckoutSession, PaymentProvider


def start_checkout(
    provider: PaymentProvider,
    booking: Booking,
    booking_type: BookingType,
    *,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """Create (or, on a retry, get back) the booking's checkout session.

    The idempotency key is the booking id, so a lead's double-click or a
    retried request returns the same session instead of a second charge. For
    that the request must be identical on every attempt: its expiry was chosen
    once and stored on the booking (``service.choose_checkout_expiry``), since
    Stripe answers a reused key with other parameters by an idempotency error.
    """
    assert booking.checkout_expires_at is not None, "choose_checkout_expiry first"
    return provider.create_checkout(
        CheckoutRequest(
            booking_id=booking.id,
            host_id=booking.host_id,
            amount_minor=booking.amount_minor,
            currency=booking.currency,
            description=f"{booking_type.title} on {booking.start_at:%Y-%m-%d %H:%M} UTC",
            customer_email=booking.lead_email,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=booking.checkout_expires_at,
            idempotency_key=f"checkout-{booking.id}",
            first_attempt_at=booking.checkout_started_at,
        )
    )
