"""Starting a hosted checkout for a held booking (network only; no database)."""

from __future__ import annotations

from leadscalendar.availability.display import format_day_time
from leadscalendar.availability.zones import load_zone
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
            description=checkout_line(booking, booking_type),
            customer_email=booking.lead_email,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=booking.checkout_expires_at,
            idempotency_key=f"checkout-{booking.id}",
            first_attempt_at=booking.checkout_started_at,
        )
    )


def checkout_line(booking: Booking, booking_type: BookingType) -> str:
    """``Coaching session, 09:00 CET, Tue 3 Dec 2026 (Europe/Paris)``: the lead's own clock.

    The checkout page is the provider's, so it cannot convert times; a line in
    UTC made leads believe they had booked the wrong hour. Derived from stored
    fields only, so a retried request stays identical (see ``start_checkout``).
    """
    zone = booking.lead_time_zone
    local = booking.start_at.astimezone(load_zone(zone))
    return f"{booking_type.title}, {format_day_time(local)} ({zone})"
