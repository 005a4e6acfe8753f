"""A lead books, confirms and pays over real HTTP; the event lands on the sandbox calendar once."""

from __future__ import annotations

import uuid
from datetime import datetime

from leadscalendar.google.events import event_id_for
from tests.support.booking_env import BookingEnv


def test_paid_booking_reaches_the_calendar_exactly_once(booking_env: BookingEnv) -> None:
    start = booking_env.first_slot("session")
    held = booking_env.hold("session", start, **{"Idempotency-Key": "lead-click-1"})
    assert held.status_code == 201, held.text
    booking = held.json()
    assert booking["status"] == "held"
    booking_id, token = booking["id"], booking["token"]

    again = booking_env.hold("session", start, **{"Idempotency-Key": "lead-click-1"})
    assert again.status_code == 201 and again.json()["id"] == booking_id

    confirmed = booking_env.lead.post(
        f"/api/v1/public/bookings/{booking_id}/confirm", params={"token": token}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "awaiting_payment"
    checkout_url = confirmed.json()["checkout_url"]
    assert checkout_url.startswith(booking_env.payments_url)
    assert booking_env.calendar_events() == []

    booking_env.pay(checkout_url)
    scheduled = booking_env.wait_status(booking_id, token, "scheduled")
    assert scheduled["google_event_link"]
    assert scheduled["meet_link"]

    events = booking_env.calendar_events()
    assert len(events) == 1
    event = events[0]
    assert event["id"] == event_id_for(uuid.UUID(booking_id))
    assert event["summary"] == "Coaching session with Lena Lead"
    assert event["start"]["timeZone"] == "Europe/Paris"
    assert datetime.fromisoformat(event["start"]["dateTime"]) == datetime.fromisoformat(start)
    emails = {attendee["email"]: attendee.get("displayName") for attendee in event["attendees"]}
    assert emails == {"lena@example.com": "Lena Lead", "guest@example.com": "Gus"}
    assert event["extendedProperties"]["private"]["leadscalendarBookingId"] == booking_id


def test_free_booking_is_scheduled_without_payment(booking_env: BookingEnv) -> None:
    start = booking_env.first_slot("intro")
    booking = booking_env.hold("intro", start).json()
    confirmed = booking_env.lead.post(
        f"/api/v1/public/bookings/{booking['id']}/confirm", params={"token": booking["token"]}
    )
    assert confirmed.json()["status"] in ("paid", "scheduled")
    booking_env.wait_status(booking["id"], booking["token"], "scheduled")
    assert len(booking_env.calendar_events()) == 1


def test_a_taken_slot_is_refused_with_the_next_free_times(booking_env: BookingEnv) -> None:
    start = booking_env.first_slot("session")
    assert booking_env.hold("session", start).status_code == 201
    second = booking_env.hold("session", start)
    assert second.status_code == 409
    error = second.json()["error"]
    assert "no longer available" in error["message"]
    assert error["alternatives"] and start not in error["alternatives"]
