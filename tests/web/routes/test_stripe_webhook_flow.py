"""The paid flow with ``payment_provider="stripe"``: the Stripe SDK against the local stand-in.

Webhooks are delivered by the sandbox (and, for the orderings Stripe allows
but the sandbox would not produce, built and signed here); each case checks
what was written: payment_events rows, the booking, its jobs, the calendar.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from leadscalendar.jobs import JobStatus
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.booking_flow import (
    checkout,
    days_ahead,
    jobs_of,
    payment_events_of,
    row_counts,
    sandbox,
    sandbox_events,
    slot_starts,
)
from tests.support.payments import session_event, signed

CREATE_DONE = [("create_calendar_event", JobStatus.SUCCEEDED)]


def _post_webhook(env: BookingEnv, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return env.lead.post("/webhooks/stripe", content=body, headers=headers)


def _deliveries(env: BookingEnv, event_id: str) -> list[dict[str, Any]]:
    attempts: list[dict[str, Any]] = sandbox(env, "GET", "deliveries")["attempts"]
    return [a for a in attempts if a["event_id"] == event_id and a["status_code"] == 200]


def test_stripe_duplicates_and_out_of_order_events_change_nothing(
    stripe_booking_env: BookingEnv,
) -> None:
    env = stripe_booking_env
    assert env.services.settings.payment_provider == "stripe"
    start = slot_starts(env, "session", days_ahead(2))[0]
    booking, session_id = checkout(env, "session", start)
    env.pay(f"{env.payments_url}/checkout/{session_id}")
    env.wait_status(booking.id, booking.token, "scheduled")
    assert len(env.calendar_events()) == 1
    (completed,) = sandbox_events(env, "checkout.session.completed", session_id)
    assert [e.external_id for e in payment_events_of(env, booking.id)] == [completed["id"]]

    # Stripe's "Resend": same id, same body, fresh signature.
    sandbox(env, "POST", f"redeliver/{completed['id']}")
    wait_for(lambda: len(_deliveries(env, completed["id"])) == 2, 10, "redelivery")
    assert len(payment_events_of(env, booking.id)) == 1

    # Stripe promises no order: "expired" after "completed", and "completed" twice.
    session_obj = completed["data"]["object"]
    late_expiry = session_event(
        "checkout.session.expired",
        booking_id=booking.uuid,
        session_id=session_id,
        payment_status="unpaid",
        payment_intent=None,
        amount=session_obj["amount_total"],
    )
    second_completion = session_event(
        booking_id=booking.uuid,
        session_id=session_id,
        payment_intent=session_obj["payment_intent"],
        amount=session_obj["amount_total"],
    )
    for event in (late_expiry, second_completion):
        response = _post_webhook(env, *signed(event))
        assert response.status_code == 200, response.text
        assert response.json() == {"received": True, "duplicate": False}
    again = _post_webhook(env, *signed(second_completion))
    assert again.json() == {"received": True, "duplicate": True}

    assert len(payment_events_of(env, booking.id)) == 3
    assert env.booking(booking.id, booking.token)["status"] == "scheduled"
    time.sleep(0.3)  # give a wrongly enqueued job the chance to show up
    assert jobs_of(env, booking.id) == CREATE_DONE
    assert len(env.calendar_events()) == 1
    assert sandbox(env, "GET", "refunds") == []


def test_unverifiable_webhooks_are_rejected_and_write_nothing(
    stripe_booking_env: BookingEnv,
) -> None:
    env = stripe_booking_env
    start = slot_starts(env, "session", days_ahead(2))[0]
    booking, session_id = checkout(env, "session", start)
    sandbox(env, "POST", "delivery/pause")  # only the requests below reach the app
    event = session_event(booking_id=booking.uuid, session_id=session_id, amount=9000)
    body, good_headers = signed(event)
    before = row_counts(env)

    forged = signed(event, secret="whsec_someone_else")
    stale = signed(event, timestamp=int(time.time()) - 301)
    missing = (body, {"Content-Type": "application/json"})
    tampered = (body.replace(b'"paid"', b'"PAID"'), good_headers)
    malformed = signed(b'{"id": "evt_1", "object": "event", "type": ')
    not_an_event = signed(b'["a", "list"]')
    cases = {
        "forged": forged,
        "stale": stale,
        "missing": missing,
        "tampered": tampered,
        "malformed": malformed,
        "not_an_event": not_an_event,
    }
    for name, (payload, headers) in cases.items():
        response = _post_webhook(env, payload, headers)
        assert response.status_code == 400, (name, response.text)
        error = response.json()["error"]
        assert error["code"] and error["message"].startswith(("Webhook rejected", "Missing")), name

    assert row_counts(env) == before
    assert env.booking(booking.id, booking.token)["status"] == "awaiting_payment"
    assert jobs_of(env, booking.id) == []

    # The same event, correctly signed and fresh, is accepted: the rejections were the checks.
    accepted = _post_webhook(env, body, good_headers)
    assert accepted.status_code == 200, accepted.text
    env.wait_status(booking.id, booking.token, "scheduled")
    assert len(env.calendar_events()) == 1
