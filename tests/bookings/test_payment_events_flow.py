"""Abandoned checkouts and late payments, end to end (``bookings.payment_events``).

No booking ever counts as paid without a verified payment webhook; a payment
for a slot that went to someone else is refunded without anyone's help.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from leadscalendar.bookings import repository
from leadscalendar.bookings.payment_events import (
    ASYNC_PAYMENT_WINDOW,
    PAYMENT_PENDING_REASON,
    SLOT_GONE_REASON,
)
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.booking_flow import (
    assert_nothing_paid_without_a_verified_payment,
    checkout,
    days_ahead,
    db_booking,
    expire_hold,
    held,
    refunds,
    sandbox,
    slot_starts,
    wait_jobs_idle,
)


def test_an_abandoned_checkout_frees_the_slot_and_rebooking_needs_a_new_payment(
    booking_env: BookingEnv,
) -> None:
    env = booking_env
    start = slot_starts(env, "session", days_ahead(2))[0]
    first, first_session = checkout(env, "session", start)
    assert held_is_refused(env, start)

    sandbox(env, "POST", f"sessions/{first_session}/expire")
    expired = env.wait_status(first.id, first.token, "expired")
    assert "checkout expired" in expired["status_reason"]
    assert expired["checkout_url"] is None
    # Confirming again does not reopen the old checkout; paying it is impossible.
    again = env.lead.post(
        f"/api/v1/public/bookings/{first.id}/confirm", params={"token": first.token}
    )
    assert again.status_code == 200 and again.json()["status"] == "expired"
    late = httpx.post(f"{env.payments_url}/_sandbox/sessions/{first_session}/pay", timeout=10)
    assert late.status_code == 409

    assert start in slot_starts(env, "session", days_ahead(2))
    second, second_session = checkout(env, "session", start)
    assert second_session != first_session
    env.pay(f"{env.payments_url}/checkout/{second_session}")
    env.wait_status(second.id, second.token, "scheduled")

    assert db_booking(env, first.id).status.value == "expired"
    assert db_booking(env, first.id).paid_at is None
    assert len(env.calendar_events()) == 1
    assert_nothing_paid_without_a_verified_payment(env)


def held_is_refused(env: BookingEnv, start: str) -> bool:
    response = env.lead.post(
        "/api/v1/public/hosts/coach/types/session/bookings",
        json={"start": start, "lead": {"name": "Other", "email": "other@example.com"}},
    )
    return response.status_code == 409


def test_a_late_payment_for_a_still_free_slot_goes_ahead(booking_env: BookingEnv) -> None:
    env = booking_env
    start = slot_starts(env, "session", days_ahead(2))[0]
    booking, session_id = checkout(env, "session", start)
    expire_hold(env, booking.id)
    assert start in slot_starts(env, "session", days_ahead(2))  # the hold no longer counts

    env.pay(f"{env.payments_url}/checkout/{session_id}")
    scheduled = env.wait_status(booking.id, booking.token, "scheduled")
    assert scheduled["status_reason"] is None
    assert len(env.calendar_events()) == 1
    assert refunds(env) == []
    assert_nothing_paid_without_a_verified_payment(env)


def test_a_late_payment_for_a_slot_taken_meanwhile_is_refunded(booking_env: BookingEnv) -> None:
    env = booking_env
    start = slot_starts(env, "session", days_ahead(2))[0]
    late, late_session = checkout(env, "session", start)
    expire_hold(env, late.id)
    other = held(env, "session", start)

    env.pay(f"{env.payments_url}/checkout/{late_session}")
    refunded = env.wait_status(late.id, late.token, "refunded")
    assert refunded["status_reason"] == SLOT_GONE_REASON
    (refund,) = refunds(env)
    paid_session = sandbox(env, "GET", f"sessions/{late_session}")
    assert refund["payment_intent"] == paid_session["payment_intent"]
    assert refund["amount"] == 9000 and refund["status"] == "succeeded"
    wait_jobs_idle(env)
    assert env.calendar_events() == []
    assert env.booking(other.id, other.token)["status"] == "held"
    assert_nothing_paid_without_a_verified_payment(env)


def test_a_delayed_payment_keeps_the_slot_until_the_bank_answers(booking_env: BookingEnv) -> None:
    env = booking_env
    start = slot_starts(env, "session", days_ahead(2))[0]
    booking, session_id = checkout(env, "session", start)
    sandbox(env, "POST", f"sessions/{session_id}/complete-unpaid")  # a bank debit, say

    pending = wait_for(
        lambda: db_booking(env, booking.id).payment_pending_since, what="payment pending"
    )
    assert env.booking(booking.id, booking.token)["status_reason"] == PAYMENT_PENDING_REASON
    # Hours later, long after the checkout itself would have lapsed, the time is still taken...
    stored = db_booking(env, booking.id)
    later = utcnow() + timedelta(hours=6)
    with unit_of_work(env.services.session_factory) as session:
        taken = repository.active_bookings_between(
            session, stored.host_id, stored.start_at, stored.end_at, now=later
        )
    assert [b.id for b in taken] == [booking.uuid]
    # ...but not forever: Stripe's window for delayed methods bounds the wait.
    assert stored.hold_expires_at is not None
    assert stored.hold_expires_at <= pending + ASYNC_PAYMENT_WINDOW
    assert held_is_refused(env, start)

    sandbox(env, "POST", f"sessions/{session_id}/async-succeed")
    scheduled = env.wait_status(booking.id, booking.token, "scheduled")
    assert scheduled["status_reason"] is None
    assert db_booking(env, booking.id).payment_pending_since is None
    assert refunds(env) == []
    assert_nothing_paid_without_a_verified_payment(env)
