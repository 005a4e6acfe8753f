"""Starting a hosted checkout for a held booking (network only; no database)."""

from __future__ import annotations

from datetime import datetime

from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.bookings.service import checkout_expiry
from leadscalendar.payments.provider import CheckoutRequest, CheckoutSession, PaymentProvider


def start_checkout(
    provider: PaymentProvider,
    booking: Booking,
    booking_type: BookingType,
    *,
    success_url: str,
    cancel_url: str,
    now: datetime,
) -> CheckoutSession:
    """Create (or, on a retry, get back) the booking's checkout session.

    The idempotency key is the booking id, so a lead's double-click or a
    retried request returns the same session instead of a second charge.
    """
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
            expires_at=checkout_expiry(booking, now),
            idempotency_key=f"checkout-{booking.id}",
        )
    )
