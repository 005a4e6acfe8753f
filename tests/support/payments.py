"""Helpers for payment tests: signed Stripe webhooks built independently, a live sandbox.

The signature here is computed from Stripe's documented scheme with ``hmac``
directly (not with the sandbox's signer nor the SDK), so a test that passes
proves the three agree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from leadscalendar.sandbox.payments import PaymentsSandboxConfig, create_payments_sandbox_app
from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from tests.support.live_server import live_server

T = TypeVar("T")

TEST_API_KEY = "sk_test_key_used_only_by_the_tests"
TEST_WEBHOOK_SECRET = "whsec_secret_used_only_by_the_tests"


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """``Stripe-Signature`` per Stripe's docs: v1 = HMAC-SHA256(secret, f"{t}.{payload}")."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def session_event(
    event_type: str = "checkout.session.completed",
    *,
    booking_id: uuid.UUID | None = None,
    event_id: str | None = None,
    session_id: str = "cs_test_fixture",
    payment_status: str = "paid",
    payment_intent: str | None = "pi_fixture",
    amount: int = 5000,
    currency: str = "eur",
) -> dict[str, Any]:
    """A Stripe event wrapping a Checkout Session, shaped like the real thing."""
    booking = str(booking_id or uuid.uuid4())
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "amount_total": amount,
                "client_reference_id": booking,
                "currency": currency,
                "metadata": {"booking_id": booking, "host_id": str(uuid.uuid4())},
                "mode": "payment",
                "payment_intent": payment_intent,
                "payment_status": payment_status,
                "status": "expired" if event_type.endswith("expired") else "complete",
            }
        },
    }


def signed(
    event: dict[str, Any] | bytes, secret: str = TEST_WEBHOOK_SECRET, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """(body, headers) ready to POST to a webhook endpoint."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": stripe_signature(body, secret, timestamp),
    }
    return body, headers


def sandbox_config(**overrides: Any) -> PaymentsSandboxConfig:
    values: dict[str, Any] = {
        "api_key": TEST_API_KEY,
        "webhook_secret": TEST_WEBHOOK_SECRET,
        "delivery_initial_backoff_seconds": 0.05,
        "delivery_max_backoff_seconds": 0.2,
        "delivery_max_attempts": 4,
        "expiry_sweep_seconds": 0.05,
    }
    values.update(overrides)
    return PaymentsSandboxConfig(**values)


@contextmanager
def running_payments_sandbox(
    config: PaymentsSandboxConfig,
) -> Iterator[tuple[str, PaymentsSandbox]]:
    """A live sandbox on loopback; its delivery worker is stopped afterwards."""
    app = create_payments_sandbox_app(config)
    sandbox: PaymentsSandbox = app.state.payments_sandbox
    try:
        with live_server(app) as url:
            yield url, sandbox
    finally:
        sandbox.close()


def wait_until(probe: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Poll ``probe`` until it returns something truthy; webhooks arrive asynchronously."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
