"""Signed webhook delivery: Stripe's signature scheme, retries, redelivery, ordering."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import stripe

from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from tests.sandbox.payments.conftest import Receiver, create_session
from tests.support.live_server import free_port
from tests.support.payments import TEST_WEBHOOK_SECRET, stripe_signature, wait_until


def events_of(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(body) for body in receiver.bodies()]


def attempts(api: httpx.Client) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = api.get("/_sandbox/deliveries").json()["attempts"]
    return result


def test_webhooks_are_stripe_events_signed_with_stripes_scheme(
    api: httpx.Client, receiver: Receiver
) -> None:
    session = create_session(api)
    api.post(f"/_sandbox/sessions/{session['id']}/pay").raise_for_status()
    wait_until(receiver.bodies)
    ((headers, body),) = receiver.received

    # The official SDK accepts it...
    event = stripe.Webhook.construct_event(
        body, headers["stripe-signature"], TEST_WEBHOOK_SECRET, tolerance=300
    )
    assert event.type == "checkout.session.completed"
    # ...and so does the scheme computed from Stripe's documentation.
    timestamp = int(headers["stripe-signature"].split(",")[0].removeprefix("t="))
    assert headers["stripe-signature"] == stripe_signature(body, TEST_WEBHOOK_SECRET, timestamp)
    assert abs(timestamp - time.time()) < 10

    document = json.loads(body)
    assert document["id"].startswith("evt_")
    assert (document["object"], document["livemode"]) == ("event", False)
    assert document["api_version"]
    obj = document["data"]["object"]
    assert (obj["id"], obj["status"], obj["payment_status"]) == (session["id"], "complete", "paid")
    assert obj["client_reference_id"] == "booking-1"
    assert obj["payment_intent"].startswith("pi_")
    assert headers["content-type"].startswith("application/json")


def test_non_2xx_answers_are_retried_with_backoff_until_accepted(
    api: httpx.Client, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    session = create_session(api)
    api.post(f"/_sandbox/sessions/{session['id']}/pay").raise_for_status()
    wait_until(lambda: len(receiver.bodies()) == 3)
    history = attempts(api)
    assert [a["status_code"] for a in history] == [500, 503, 200]
    assert [a["attempt"] for a in history] == [1, 2, 3]
    assert history[2]["at"] - history[0]["at"] >= 0.05 + 0.1  # backoff 0.05 s, then 0.1 s
    (event,) = api.get("/_sandbox/events").json()
    assert event["delivery"] == "succeeded"
    # One event, one id, delivered three times: each attempt signed afresh.
    assert len({json.loads(b)["id"] for b in receiver.bodies()}) == 1


def test_delivery_gives_up_after_the_configured_attempts(
    api: httpx.Client, receiver: Receiver
) -> None:
    receiver.statuses = [500] * 10
    session = create_session(api)
    api.post(f"/_sandbox/sessions/{session['id']}/pay").raise_for_status()
    wait_until(lambda: api.get("/_sandbox/events").json()[0]["delivery"] == "failed")
    assert [a["status_code"] for a in attempts(api)] == [500, 500, 500, 500]


def test_an_unreachable_endpoint_is_retried_and_recorded_as_a_connection_error(
    api: httpx.Client, receiver: Receiver
) -> None:
    api.post("/_sandbox/webhook-endpoint", json={"url": f"http://127.0.0.1:{free_port()}/"})
    session = create_session(api)
    api.post(f"/_sandbox/sessions/{session['id']}/pay").raise_for_status()
    wait_until(lambda: len(attempts(api)) >= 2)
    api.post("/_sandbox/webhook-endpoint", json={"url": receiver.url})
    wait_until(receiver.bodies)
    history = attempts(api)
    assert history[0]["status_code"] is None and history[0]["error"] == "ConnectError"
    assert history[-1]["status_code"] == 200


def test_redeliver_sends_the_same_event_again(api: httpx.Client, receiver: Receiver) -> None:
    session = create_session(api)
    api.post(f"/_sandbox/sessions/{session['id']}/pay").raise_for_status()
    (first,) = wait_until(lambda: events_of(receiver))
    api.post(f"/_sandbox/redeliver/{first['id']}").raise_for_status()
    wait_until(lambda: len(receiver.bodies()) == 2)
    assert events_of(receiver)[1] == first
    assert api.post("/_sandbox/redeliver/evt_nope").status_code == 404


def test_paused_events_can_be_released_newest_first(api: httpx.Client, receiver: Receiver) -> None:
    api.post("/_sandbox/delivery/pause").raise_for_status()
    paid, expired = create_session(api), create_session(api)
    api.post(f"/_sandbox/sessions/{paid['id']}/pay").raise_for_status()
    api.post(f"/_sandbox/sessions/{expired['id']}/expire").raise_for_status()
    time.sleep(0.3)
    assert receiver.bodies() == []
    assert api.get("/_sandbox/deliveries").json()["queued"] == 2
    api.post("/_sandbox/delivery/resume", params={"order": "reverse"}).raise_for_status()
    wait_until(lambda: len(receiver.bodies()) == 2)
    assert [e["type"] for e in events_of(receiver)] == [
        "checkout.session.expired",
        "checkout.session.completed",
    ]


def test_delayed_payment_completes_unpaid_then_succeeds(
    api: httpx.Client, receiver: Receiver
) -> None:
    session = create_session(api)
    unpaid = api.post(f"/_sandbox/sessions/{session['id']}/complete-unpaid").json()
    assert (unpaid["status"], unpaid["payment_status"]) == ("complete", "unpaid")
    api.post(f"/_sandbox/sessions/{session['id']}/async-succeed").raise_for_status()
    wait_until(lambda: len(receiver.bodies()) == 2)
    received = events_of(receiver)
    assert [e["type"] for e in received] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]
    assert [e["data"]["object"]["payment_status"] for e in received] == ["unpaid", "paid"]
    assert api.post(f"/_sandbox/sessions/{session['id']}/async-fail").status_code == 409


def test_delayed_payment_can_fail(api: httpx.Client, receiver: Receiver) -> None:
    session = create_session(api)
    api.post(f"/_sandbox/sessions/{session['id']}/complete-unpaid").raise_for_status()
    api.post(f"/_sandbox/sessions/{session['id']}/async-fail").raise_for_status()
    wait_until(lambda: len(receiver.bodies()) == 2)
    last = events_of(receiver)[-1]
    assert last["type"] == "checkout.session.async_payment_failed"
    assert last["data"]["object"]["payment_status"] == "unpaid"


def test_sessions_past_expires_at_expire_on_their_own(
    api: httpx.Client, receiver: Receiver, sandbox: tuple[str, PaymentsSandbox]
) -> None:
    _, running = sandbox
    session = create_session(api)
    # Stripe's shortest lifetime is 30 minutes; move the sandbox's clock instead of waiting.
    running.store.clock = lambda: time.time() + 24 * 3600 + 1
    (event,) = wait_until(lambda: events_of(receiver))
    assert event["type"] == "checkout.session.expired"
    assert event["data"]["object"]["id"] == session["id"]
    assert api.get(f"/v1/checkout/sessions/{session['id']}").json()["status"] == "expired"


def test_refunds_emit_refund_created(api: httpx.Client, receiver: Receiver) -> None:
    session = create_session(api)
    intent = api.post(f"/_sandbox/sessions/{session['id']}/pay").json()["payment_intent"]
    api.post("/v1/refunds", data={"payment_intent": intent}).raise_for_status()
    wait_until(lambda: len(receiver.bodies()) == 2)
    refund = events_of(receiver)[1]
    assert refund["type"] == "refund.created"
    assert (refund["data"]["object"]["payment_intent"], refund["data"]["object"]["amount"]) == (
        intent,
        5000,
    )
