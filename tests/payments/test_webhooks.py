"""Verification and normalisation of Stripe webhooks, with independently signed bodies."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from leadscalendar.payments.errors import WebhookVerificationError
from leadscalendar.payments.models import PaymentEventKind
from leadscalendar.payments.webhooks import verify_stripe_webhook
from tests.support.payments import TEST_WEBHOOK_SECRET, session_event, signed, stripe_signature


def verify(body: bytes, header: str | None) -> object:
    return verify_stripe_webhook(body, header, TEST_WEBHOOK_SECRET)


def test_a_correctly_signed_completed_checkout_is_a_paid_booking() -> None:
    booking = uuid.uuid4()
    body, headers = signed(session_event(booking_id=booking, event_id="evt_1"))
    event = verify_stripe_webhook(body, headers["Stripe-Signature"], TEST_WEBHOOK_SECRET)
    assert event.event_id == "evt_1"
    assert event.provider == "stripe"
    assert event.kind is PaymentEventKind.CHECKOUT_PAID
    assert event.booking_id == booking
    assert (event.checkout_session_id, event.payment_intent_id) == ("cs_test_fixture", "pi_fixture")
    assert (event.amount_minor, event.currency, event.payment_status) == (5000, "eur", "paid")
    assert event.raw == body.decode()
    assert event.livemode is False


@pytest.mark.parametrize(
    ("event_type", "payment_status", "kind"),
    [
        ("checkout.session.completed", "paid", PaymentEventKind.CHECKOUT_PAID),
        ("checkout.session.completed", "no_payment_required", PaymentEventKind.CHECKOUT_PAID),
        ("checkout.session.completed", "unpaid", PaymentEventKind.CHECKOUT_AWAITING_ASYNC),
        ("checkout.session.async_payment_succeeded", "paid", PaymentEventKind.ASYNC_SUCCEEDED),
        ("checkout.session.async_payment_failed", "unpaid", PaymentEventKind.ASYNC_FAILED),
        ("checkout.session.expired", "unpaid", PaymentEventKind.CHECKOUT_EXPIRED),
        ("customer.created", "paid", PaymentEventKind.OTHER),
    ],
)
def test_event_types_map_to_kinds(
    event_type: str, payment_status: str, kind: PaymentEventKind
) -> None:
    body, headers = signed(session_event(event_type, payment_status=payment_status))
    assert (
        verify_stripe_webhook(body, headers["Stripe-Signature"], TEST_WEBHOOK_SECRET).kind is kind
    )


def test_refund_events_carry_the_payment_intent_and_amount() -> None:
    booking = uuid.uuid4()
    document = {
        "id": "evt_refund",
        "object": "event",
        "type": "refund.created",
        "created": int(time.time()),
        "livemode": False,
        "data": {
            "object": {
                "id": "re_1",
                "object": "refund",
                "amount": 1200,
                "currency": "eur",
                "payment_intent": "pi_9",
                "status": "succeeded",
                "metadata": {"booking_id": str(booking)},
            }
        },
    }
    body, headers = signed(document)
    event = verify_stripe_webhook(body, headers["Stripe-Signature"], TEST_WEBHOOK_SECRET)
    assert event.kind is PaymentEventKind.REFUND_UPDATED
    assert (event.payment_intent_id, event.amount_minor, event.booking_id) == (
        "pi_9",
        1200,
        booking,
    )
    assert event.checkout_session_id is None
    assert event.payment_status == "succeeded"


def test_a_booking_reference_that_is_not_a_uuid_is_recorded_as_unknown() -> None:
    document = session_event()
    document["data"]["object"]["client_reference_id"] = "not-a-uuid"
    document["data"]["object"]["metadata"] = {}
    body, headers = signed(document)
    event = verify_stripe_webhook(body, headers["Stripe-Signature"], TEST_WEBHOOK_SECRET)
    assert event.booking_id is None


def test_missing_header_is_rejected() -> None:
    body, _ = signed(session_event())
    with pytest.raises(WebhookVerificationError, match="Missing"):
        verify(body, None)


def test_a_signature_with_another_secret_is_rejected() -> None:
    body, headers = signed(session_event(), secret="whsec_someone_else")
    with pytest.raises(WebhookVerificationError, match="invalid signature"):
        verify(body, headers["Stripe-Signature"])


def test_a_tampered_body_is_rejected() -> None:
    body, headers = signed(session_event(amount=5000))
    tampered = body.replace(b'"amount_total": 5000', b'"amount_total": 1')
    assert tampered != body
    with pytest.raises(WebhookVerificationError, match="invalid signature"):
        verify(tampered, headers["Stripe-Signature"])


def test_a_replayed_old_signature_is_rejected() -> None:
    body, headers = signed(session_event(), timestamp=int(time.time()) - 301)
    with pytest.raises(WebhookVerificationError, match="stale timestamp"):
        verify(body, headers["Stripe-Signature"])


def test_a_signature_just_inside_the_tolerance_is_accepted() -> None:
    body, headers = signed(session_event(), timestamp=int(time.time()) - 290)
    verify(body, headers["Stripe-Signature"])


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "t=1700000000", "v1=abc"])
def test_unparseable_headers_are_rejected(header: str) -> None:
    body, _ = signed(session_event())
    with pytest.raises(WebhookVerificationError):
        verify(body, header)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        json.dumps({"object": "list", "data": []}).encode(),
        json.dumps({"object": "event", "type": "x", "data": {"object": {}}}).encode(),
        json.dumps({"object": "event", "id": "evt_1", "type": "x", "data": {}}).encode(),
        json.dumps(["an", "array"]).encode(),
    ],
)
def test_signed_but_malformed_bodies_are_rejected(body: bytes) -> None:
    header = stripe_signature(body, TEST_WEBHOOK_SECRET) if body != b"\xff\xfe" else "t=1,v1=0"
    with pytest.raises(WebhookVerificationError):
        verify(body, header)


def test_any_one_matching_v1_signature_is_enough_as_during_a_secret_roll() -> None:
    body, headers = signed(session_event())
    timestamp, good = headers["Stripe-Signature"].split(",")
    old_secret = stripe_signature(body, "whsec_old_secret").split(",")[1]
    verify(body, f"{timestamp},{old_secret},{good}")
