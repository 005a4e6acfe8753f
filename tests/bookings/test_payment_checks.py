"""A paid event that is not the payment the booking asked for (``bookings.payment_checks``).

Amount, currency and mode (live or test) must match the checkout the booking
created; otherwise the event is recorded, nothing is marked paid, the payment
is refunded and the host is told.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from leadscalendar.bookings import repository
from leadscalendar.bookings.job_kinds import REFUND_UNMATCHED_PAYMENT
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import Job, JobStatus
from leadscalendar.notifications import SEND_EMAIL
from leadscalendar.payments.provider import CheckoutRequest
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.booking_flow import (
    assert_nothing_paid_without_a_verified_payment,
    checkout,
    days_ahead,
    db_booking,
    jobs_of,
    payment_events_of,
    refunds,
    slot_starts,
    wait_jobs_idle,
)
from tests.support.payments import session_event, signed


def _host_mails(env: BookingEnv, booking_id: str) -> list[dict[str, Any]]:
    with unit_of_work(env.services.session_factory) as session:
        jobs = session.scalars(
            select(Job).where(Job.kind == SEND_EMAIL, Job.subject_key == booking_id)
        ).all()
        return [dict(job.payload) for job in jobs]


def _timeline_kinds(env: BookingEnv, booking_id: str) -> list[str]:
    with unit_of_work(env.services.session_factory) as session:
        return [entry.kind for entry in repository.timeline(session, uuid.UUID(booking_id))]


def _other_checkout(env: BookingEnv, booking_id: uuid.UUID, amount: int, currency: str) -> str:
    """A checkout naming the booking but asking another price, as the provider saw it made."""
    session = env.services.payment_provider.create_checkout(
        CheckoutRequest(
            booking_id=booking_id,
            host_id=uuid.uuid4(),
            amount_minor=amount,
            currency=currency,
            description="Not the booking's price",
            customer_email="lead@example.com",
            success_url="https://app.example/paid",
            cancel_url="https://app.example/cancelled",
            expires_at=datetime.now(UTC) + timedelta(hours=2),
            idempotency_key=f"other-{uuid.uuid4()}",
        )
    )
    return session.id


def test_a_payment_of_another_amount_is_refunded_and_the_booking_still_waits(
    booking_env: BookingEnv,
) -> None:
    env = booking_env
    start = slot_starts(env, "session", days_ahead(2))[0]
    booking, right_session = checkout(env, "session", start)
    wrong_session = _other_checkout(env, booking.uuid, 5000, "eur")

    env.pay(f"{env.payments_url}/checkout/{wrong_session}")
    wait_for(lambda: len(refunds(env)) == 1, what="the unmatched payment refunded")
    wait_jobs_idle(env)
    (refund,) = refunds(env)
    assert refund["amount"] == 5000 and refund["status"] == "succeeded"
    stored = db_booking(env, booking.id)
    assert stored.status.value == "awaiting_payment"
    assert stored.paid_at is None and stored.payment_intent_id is None
    recorded = [(e.kind.value, e.amount_minor) for e in payment_events_of(env, booking.id)]
    assert ("checkout_paid", 5000) in recorded
    assert (REFUND_UNMATCHED_PAYMENT, JobStatus.SUCCEEDED) in jobs_of(env, booking.id)
    assert not any(kind == "create_calendar_event" for kind, _ in jobs_of(env, booking.id))
    (mail,) = _host_mails(env, booking.id)
    assert mail["template"] == "payment_mismatch" and mail["to"] == "coach@example.com"
    assert "50.00 EUR" in mail["context"]["reason"]
    assert "90.00 EUR" in mail["context"]["reason"]
    kinds = _timeline_kinds(env, booking.id)
    assert "payment_mismatch" in kinds and "unmatched_payment_refunded" in kinds
    assert env.calendar_events() == []

    # The right payment still books it, and its own refund key is not taken.
    env.pay(f"{env.payments_url}/checkout/{right_session}")
    env.wait_status(booking.id, booking.token, "scheduled")
    assert len(refunds(env)) == 1
    assert_nothing_paid_without_a_verified_payment(env)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"currency": "usd"}, "in USD"),
        ({"livemode": True}, "real (live) payment"),
        ({"amount": None}, "did not say how much"),
    ],
)
def test_a_paid_event_in_another_currency_or_mode_does_not_pay_the_booking(
    booking_env: BookingEnv, change: dict[str, Any], words: str
) -> None:
    env = booking_env
    start = slot_starts(env, "session", days_ahead(2))[0]
    booking, session_id = checkout(env, "session", start)
    event = session_event(
        booking_id=booking.uuid,
        session_id=session_id,
        payment_intent="pi_not_ours",
        amount=9000,
        currency=change.get("currency", "eur"),
    )
    if "livemode" in change:
        event["livemode"] = change["livemode"]
    if "amount" in change:
        event["data"]["object"]["amount_total"] = change["amount"]
    response = env.lead.post("/webhooks/stripe", content=signed(event)[0], headers=signed(event)[1])
    assert response.status_code == 200, response.text

    wait_jobs_idle(env)
    stored = db_booking(env, booking.id)
    assert stored.status.value == "awaiting_payment" and stored.paid_at is None
    assert [e.external_id for e in payment_events_of(env, booking.id)] == [event["id"]]
    (mail,) = [m for m in _host_mails(env, booking.id) if m["template"] == "payment_mismatch"]
    assert words in mail["context"]["reason"]
    # The refund was asked for; the sandbox knows no such payment, so it waits for a person.
    assert (REFUND_UNMATCHED_PAYMENT, JobStatus.PARKED) in jobs_of(env, booking.id)
    assert not any(kind == "create_calendar_event" for kind, _ in jobs_of(env, booking.id))
    assert httpx.get(f"{env.payments_url}/_sandbox/refunds", timeout=10).json() == []
