"""POST /webhooks/stripe on the live app: from the sandbox, and from hand-signed bodies.

Every case counts rows in ``payment_events``: verification failures write
nothing, duplicates write nothing more, and only new events reach the handler.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.config import Settings
from leadscalendar.payments.models import PaymentEvent, PaymentEventKind
from leadscalendar.payments.provider import CheckoutRequest
from leadscalendar.payments.webhooks import VerifiedPaymentEvent
from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from leadscalendar.services import build_services
from leadscalendar.web.app import create_app
from tests.support.payments import (
    TEST_API_KEY,
    TEST_WEBHOOK_SECRET,
    running_payments_sandbox,
    sandbox_config,
    session_event,
    signed,
    wait_until,
)


class Handler:
    """The bookings domain's stand-in: remembers events, can be told to fail."""

    def __init__(self) -> None:
        self.events: list[VerifiedPaymentEvent] = []
        self.failures_left = 0

    def __call__(self, session: Session, event: VerifiedPaymentEvent) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("bookings could not take the event yet")
        self.events.append(event)


@pytest.fixture
def sandbox() -> Iterator[tuple[str, PaymentsSandbox]]:
    with running_payments_sandbox(sandbox_config()) as running:
        yield running


@pytest.fixture
def settings(settings: Settings, sandbox: tuple[str, PaymentsSandbox]) -> Settings:
    return settings.model_copy(
        update={
            "payment_provider": "sandbox",
            "payments_sandbox_url": sandbox[0],
            "stripe_api_key": TEST_API_KEY,
            "stripe_webhook_secret": TEST_WEBHOOK_SECRET,
            "stripe_max_network_retries": 0,
        }
    )


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def app(settings: Settings, handler: Handler) -> Iterator[FastAPI]:
    services = replace(build_services(settings), payment_event_handler=handler)
    yield create_app(settings, services)
    services.engine.dispose()


@pytest.fixture
def wired(app: FastAPI, app_url: str, sandbox: tuple[str, PaymentsSandbox]) -> str:
    """The sandbox delivers to the live app; returns the sandbox URL."""
    url, _ = sandbox
    httpx.post(
        f"{url}/_sandbox/webhook-endpoint", json={"url": f"{app_url}/webhooks/stripe"}
    ).raise_for_status()
    return url


def rows(session_factory: sessionmaker[Session]) -> list[PaymentEvent]:
    with session_factory() as session:
        return list(session.scalars(select(PaymentEvent).order_by(PaymentEvent.received_at)))


def statuses(sandbox_url: str) -> list[int | None]:
    attempts = httpx.get(f"{sandbox_url}/_sandbox/deliveries").json()["attempts"]
    return [a["status_code"] for a in attempts]


def start_checkout(app: FastAPI, booking_id: uuid.UUID) -> str:
    provider = app.state.services.payment_provider
    session = provider.create_checkout(
        CheckoutRequest(
            booking_id=booking_id,
            host_id=uuid.uuid4(),
            amount_minor=9900,
            currency="usd",
            description="Intro call",
            customer_email="lead@example.com",
            success_url="https://app.example/paid",
            cancel_url="https://app.example/cancelled",
            expires_at=datetime.now(UTC) + timedelta(hours=2),
            idempotency_key=f"checkout-{booking_id}",
        )
    )
    session_id: str = session.id
    return session_id


# -- through the sandbox --------------------------------------------------------------


def test_paying_in_the_sandbox_records_the_signed_webhook_once(
    app: FastAPI,
    wired: str,
    handler: Handler,
    session_factory: sessionmaker[Session],
) -> None:
    booking = uuid.uuid4()
    session_id = start_checkout(app, booking)
    httpx.post(f"{wired}/_sandbox/sessions/{session_id}/pay").raise_for_status()
    wait_until(lambda: statuses(wired) == [200])

    (row,) = rows(session_factory)
    assert (row.kind, row.booking_id, row.checkout_session_id) == (
        PaymentEventKind.CHECKOUT_PAID,
        booking,
        session_id,
    )
    assert (row.amount_minor, row.currency, row.payment_status) == (9900, "usd", "paid")
    assert row.payment_intent_id and row.payment_intent_id.startswith("pi_")
    assert [e.booking_id for e in handler.events] == [booking]

    # Stripe's "resend": same event id, fresh signature; acknowledged, nothing more written.
    httpx.post(f"{wired}/_sandbox/redeliver/{row.external_id}").raise_for_status()
    wait_until(lambda: statuses(wired) == [200, 200])
    assert len(rows(session_factory)) == 1
    assert len(handler.events) == 1


def test_a_handler_failure_makes_the_sandbox_retry_until_recorded_once(
    app: FastAPI,
    wired: str,
    handler: Handler,
    session_factory: sessionmaker[Session],
) -> None:
    handler.failures_left = 1
    session_id = start_checkout(app, uuid.uuid4())
    httpx.post(f"{wired}/_sandbox/sessions/{session_id}/pay").raise_for_status()
    wait_until(lambda: statuses(wired) == [500, 200])
    assert len(rows(session_factory)) == 1
    assert len(handler.events) == 1


def test_delayed_payment_and_expiry_are_recorded_in_order_received(
    app: FastAPI,
    wired: str,
    handler: Handler,
    session_factory: sessionmaker[Session],
) -> None:
    delayed, abandoned = start_checkout(app, uuid.uuid4()), start_checkout(app, uuid.uuid4())
    httpx.post(f"{wired}/_sandbox/sessions/{delayed}/complete-unpaid").raise_for_status()
    httpx.post(f"{wired}/_sandbox/sessions/{delayed}/async-succeed").raise_for_status()
    httpx.post(f"{wired}/_sandbox/sessions/{abandoned}/expire").raise_for_status()
    wait_until(lambda: statuses(wired) == [200, 200, 200])
    assert [r.kind for r in rows(session_factory)] == [
        PaymentEventKind.CHECKOUT_AWAITING_ASYNC,
        PaymentEventKind.ASYNC_SUCCEEDED,
        PaymentEventKind.CHECKOUT_EXPIRED,
    ]
    assert [e.kind for e in handler.events] == [r.kind for r in rows(session_factory)]


def test_refunds_through_the_app_provider_are_recorded(
    app: FastAPI, wired: str, session_factory: sessionmaker[Session]
) -> None:
    booking = uuid.uuid4()
    session_id = start_checkout(app, booking)
    intent = httpx.post(f"{wired}/_sandbox/sessions/{session_id}/pay").json()["payment_intent"]
    app.state.services.payment_provider.refund(
        intent, None, f"refund-{booking}", metadata={"booking_id": str(booking)}
    )
    wait_until(lambda: statuses(wired) == [200, 200])
    refund = rows(session_factory)[1]
    assert (refund.kind, refund.booking_id, refund.payment_intent_id, refund.amount_minor) == (
        PaymentEventKind.REFUND_UPDATED,
        booking,
        intent,
        9900,
    )


# -- hand-signed bodies -------------------------------------------------------------


def post(client: httpx.Client, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.post("/webhooks/stripe", content=body, headers=headers)


def test_a_valid_webhook_is_acknowledged_and_a_duplicate_changes_nothing(
    client: httpx.Client, handler: Handler, session_factory: sessionmaker[Session]
) -> None:
    body, headers = signed(session_event(event_id="evt_twice"))
    first = post(client, body, headers)
    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    # The same event again, re-signed later: still one row, still 200 so Stripe stops.
    body, headers = signed(session_event(event_id="evt_twice"), timestamp=int(time.time()) + 1)
    second = post(client, body, headers)
    assert (second.status_code, second.json()) == (200, {"received": True, "duplicate": True})
    assert len(rows(session_factory)) == 1
    assert len(handler.events) == 1


def test_expired_after_completed_is_recorded_as_received(
    client: httpx.Client, handler: Handler, session_factory: sessionmaker[Session]
) -> None:
    """Out of order: the log keeps both; the bookings handler decides that paid wins."""
    booking = uuid.uuid4()
    for event_type in ("checkout.session.completed", "checkout.session.expired"):
        body, headers = signed(session_event(event_type, booking_id=booking))
        assert post(client, body, headers).status_code == 200
    assert [r.kind for r in rows(session_factory)] == [
        PaymentEventKind.CHECKOUT_PAID,
        PaymentEventKind.CHECKOUT_EXPIRED,
    ]
    assert [e.booking_id for e in handler.events] == [booking, booking]


def test_two_distinct_completed_events_for_one_session_are_both_kept(
    client: httpx.Client, session_factory: sessionmaker[Session]
) -> None:
    booking = uuid.uuid4()
    for _ in range(2):
        body, headers = signed(session_event(booking_id=booking))
        assert post(client, body, headers).status_code == 200
    kept = rows(session_factory)
    assert len(kept) == 2 and {r.booking_id for r in kept} == {booking}


@pytest.mark.parametrize(
    "case", ["forged", "stale", "missing_header", "malformed_json", "tampered", "not_an_event"]
)
def test_untrusted_webhooks_get_a_json_400_and_write_nothing(
    client: httpx.Client,
    handler: Handler,
    session_factory: sessionmaker[Session],
    case: str,
) -> None:
    body, headers = signed(session_event())
    if case == "forged":
        body, headers = signed(session_event(), secret="whsec_attacker")
    elif case == "stale":
        body, headers = signed(session_event(), timestamp=int(time.time()) - 301)
    elif case == "missing_header":
        del headers["Stripe-Signature"]
    elif case == "malformed_json":
        body, headers = signed(b'{"id": "evt_1", "object": "event", ')
    elif case == "tampered":
        body = body.replace(b'"paid"', b'"PAID"')
    elif case == "not_an_event":
        body, headers = signed(json.dumps({"object": "list", "data": []}).encode())
    response = post(client, body, headers)
    assert response.status_code == 400
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "webhook_verification"
    assert "Webhook rejected" in error["message"] or "Missing" in error["message"]
    assert rows(session_factory) == []
    assert handler.events == []


def _odd(field: str, value: Any) -> dict[str, Any]:
    event = session_event()
    if field in ("id", "created", "type"):
        event[field] = value
    else:
        event["data"]["object"][field] = value
    return event


ODD_EVENTS = {
    "created_far_future": ("created", 10**11),
    "created_beyond_any_date": ("created", 10**20),
    "created_negative": ("created", -(10**12)),
    "created_not_a_number": ("created", "yesterday"),
    "event_id_too_long": ("id", "evt_" + "x" * 300),
    "type_too_long": ("type", "checkout.session." + "x" * 200),
    "session_id_too_long": ("id_of_object", "cs_" + "x" * 300),
    "payment_intent_too_long": ("payment_intent", "pi_" + "x" * 300),
    "currency_too_long": ("currency", "euro"),
    "currency_not_a_code": ("currency", "EU1"),
    "amount_beyond_bigint": ("amount_total", 10**20),
    "amount_not_a_number": ("amount_total", "5000"),
    "payment_status_too_long": ("payment_status", "paid" * 20),
}


@pytest.mark.parametrize("case", list(ODD_EVENTS))
def test_validly_signed_but_implausible_events_get_a_400_and_write_nothing(
    client: httpx.Client,
    handler: Handler,
    session_factory: sessionmaker[Session],
    case: str,
) -> None:
    field, value = ODD_EVENTS[case]
    event = _odd("id" if field == "id_of_object" else field, value)
    if field == "id_of_object":
        event = session_event(session_id=value)
    body, headers = signed(event)
    response = post(client, body, headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "webhook_verification"
    assert "Webhook rejected" in response.json()["error"]["message"]
    assert rows(session_factory) == []
    assert handler.events == []


def test_a_get_is_not_allowed_and_answers_json(client: httpx.Client) -> None:
    response = client.get("/webhooks/stripe")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "http_405"
