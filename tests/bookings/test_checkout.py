"""The checkout line the lead reads on the provider's page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from leadscalendar.bookings.checkout import checkout_line
from leadscalendar.bookings.models import Booking, BookingType


def test_the_checkout_line_is_in_the_leads_zone_with_date_and_zone() -> None:
    booking = Booking(
        id=uuid.uuid4(),
        start_at=datetime(2026, 12, 3, 10, 0, tzinfo=UTC),
        lead_time_zone="America/New_York",
    )
    booking_type = BookingType(title="Coaching session")
    assert checkout_line(booking, booking_type) == (
        "Coaching session, 05:00 EST, Thu 3 Dec 2026 (America/New_York)"
    )
