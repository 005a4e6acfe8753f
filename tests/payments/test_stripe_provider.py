"""The production Stripe provider, through the real SDK, against the sandbox on loopback."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from leadscalendar.config import Settings
from leadscalendar.payments.errors import PaymentProviderUnavailableError, PaymentRejectedError
from leadscalendar.payments.factory import build_payment_provider
from leadscalendar.payments.provider import CheckoutRequest
from leadscalendar.payments.stripe import StripePaymentProvider
from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from tests.support.live_server import free_port
from tests.support.payments import TEST_API_KEY

Sandbox = tuple[str, PaymentsSandbox]


def provider_for(
    url: str, *, retries: int = 0, api_key: str = TEST_API_KEY
) -> StripePaymentProvider:
    return StripePaymentProvider(api_key, api_base=url, max_network_retries=retries)


def checkout_request(**overrides: Any) -> CheckoutRequest:
    values: dict[str, Any] = {
        "booking_id": uuid.uuid4(),
        "host_id": uuid.uuid4(),
        "amount_minor": 7500,
        "currency": "eur",
        "description": "Strategy call, 45 minutes",
        "customer_email": "lead@example.com",
        "success_url": "https://app.example/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.example/cancelled",
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
        "idempotency_key": f"checkout-{uuid.uuid4()}",
        "metadata": {"booking_type": "strategy"},
    }
    values.update(overrides)
    return CheckoutRequest(**values)


def test_checkout_session_carries_everything_the_webhook_will_need(sandbox: Sandbox) -> None:
    url, _ = sandbox
    request = checkout_request()
    session = provider_for(url).create_checkout(request)

    assert session.id.startswith("cs_test_")
    assert session.url == f"{url}/checkout/{session.id}"
    assert session.status == "open" and session.payment_status == "unpaid"
    assert session.expires_at == request.expires_at.replace(microsecond=0)
    stored = httpx.get(f"{url}/_sandbox/sessions/{session.id}").json()
    assert stored["mode"] == "payment"
    assert stored["client_reference_id"] == str(request.booking_id)
    expected_metadata = {
        "booking_type": "strategy",
        "booking_id": str(request.booking_id),
        "host_id": str(request.host_id),
    }
    assert stored["metadata"] == expected_metadata
    assert stored["payment_intent_metadata"] == expected_metadata
    assert stored["customer_email"] == "lead@example.com"
    assert stored["success_url"] == request.success_url
    assert stored["cancel_url"] == request.cancel_url
    assert stored["line_items"] == [
        {
            "description": "Strategy call, 45 minutes",
            "currency": "eur",
            "unit_amount": 7500,
            "quantity": 1,
            "amount_total": 7500,
        }
    ]


def test_the_same_idempotency_key_returns_the_same_session(sandbox: Sandbox) -> None:
    url, _ = sandbox
    provider = provider_for(url)
    request = checkout_request()
    first = provider.create_checkout(request)
    second = provider.create_checkout(request)
    assert first.id == second.id
    assert len(httpx.get(f"{url}/_sandbox/sessions").json()) == 1


def test_reusing_a_key_with_other_parameters_is_a_permanent_error(sandbox: Sandbox) -> None:
    url, _ = sandbox
    provider = provider_for(url)
    request = checkout_request()
    provider.create_checkout(request)
    changed = checkout_request(idempotency_key=request.idempotency_key, amount_minor=100)
    with pytest.raises(PaymentRejectedError) as caught:
        provider.create_checkout(changed)
    assert not caught.value.retryable


def test_sdk_retries_a_5xx_with_the_same_key_and_creates_one_session(sandbox: Sandbox) -> None:
    url, _ = sandbox
    httpx.post(f"{url}/_sandbox/faults", json={"status": 500, "count": 1})
    session = provider_for(url, retries=1).create_checkout(checkout_request())
    assert [s["id"] for s in httpx.get(f"{url}/_sandbox/sessions").json()] == [session.id]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_and_rate_limits_are_retryable(sandbox: Sandbox, status: int) -> None:
    url, _ = sandbox
    httpx.post(f"{url}/_sandbox/faults", json={"status": status, "count": 1})
    with pytest.raises(PaymentProviderUnavailableError) as caught:
        provider_for(url).create_checkout(checkout_request())
    assert caught.value.retryable
    assert httpx.get(f"{url}/_sandbox/sessions").json() == []


def test_an_unreachable_provider_is_retryable() -> None:
    provider = provider_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(PaymentProviderUnavailableError):
        provider.create_checkout(checkout_request())


def test_a_wrong_api_key_is_permanent(sandbox: Sandbox) -> None:
    url, _ = sandbox
    with pytest.raises(PaymentRejectedError) as caught:
        provider_for(url, api_key="sk_test_wrong").create_checkout(checkout_request())
    assert caught.value.provider_status == 401


def test_the_providers_own_words_go_to_the_log_and_never_into_the_message(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = sandbox
    wrong = "sk_test_wrongkey0123456789abcd"
    with (
        caplog.at_level(logging.WARNING, logger="leadscalendar.payments.stripe"),
        pytest.raises(PaymentRejectedError) as caught,
    ):
        provider_for(url, api_key=wrong).create_checkout(checkout_request())
    message = caught.value.message
    assert "sk_test" not in message and "API Key" not in message and "*" not in message
    assert "try again" in message.lower()
    assert "Invalid API Key provided: sk_test_****" in caplog.text
    assert wrong not in caplog.text


def test_an_outage_tells_the_lead_what_to_do_without_naming_exceptions() -> None:
    provider = provider_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(PaymentProviderUnavailableError) as caught:
        provider.create_checkout(checkout_request())
    assert "Error" not in caught.value.message
    assert "try again" in caught.value.message


def test_an_expiry_stripe_would_refuse_never_leaves_the_process(sandbox: Sandbox) -> None:
    url, _ = sandbox
    too_soon = checkout_request(expires_at=datetime.now(UTC) + timedelta(minutes=10))
    with pytest.raises(ValueError, match="30 minutes"):
        provider_for(url).create_checkout(too_soon)
    assert httpx.get(f"{url}/_sandbox/sessions").json() == []


def test_retrieve_shows_the_payment_after_the_lead_paid(sandbox: Sandbox) -> None:
    url, _ = sandbox
    provider = provider_for(url)
    session = provider.create_checkout(checkout_request())
    httpx.post(f"{url}/_sandbox/sessions/{session.id}/pay").raise_for_status()
    paid = provider.retrieve_checkout(session.id)
    assert (paid.status, paid.payment_status, paid.url) == ("complete", "paid", None)
    assert paid.payment_intent_id and paid.payment_intent_id.startswith("pi_")


def test_retrieving_an_unknown_session_is_permanent(sandbox: Sandbox) -> None:
    url, _ = sandbox
    with pytest.raises(PaymentRejectedError) as caught:
        provider_for(url).retrieve_checkout("cs_test_missing")
    assert caught.value.provider_status == 404


def test_partial_then_full_refund_and_no_more(sandbox: Sandbox) -> None:
    url, _ = sandbox
    provider = provider_for(url)
    session = provider.create_checkout(checkout_request())
    intent = httpx.post(f"{url}/_sandbox/sessions/{session.id}/pay").json()["payment_intent"]

    partial = provider.refund(intent, 2500, "refund-1", metadata={"reason": "late"})
    assert (partial.status, partial.amount_minor, partial.currency) == ("succeeded", 2500, "eur")
    assert provider.refund(intent, 2500, "refund-1", metadata={"reason": "late"}) == partial
    rest = provider.refund(intent, None, "refund-2")
    assert rest.amount_minor == 5000
    with pytest.raises(PaymentRejectedError) as caught:
        provider.refund(intent, None, "refund-3")
    assert caught.value.code == "charge_already_refunded"
    refunds = httpx.get(f"{url}/_sandbox/refunds").json()
    assert sorted(r["amount"] for r in refunds) == [2500, 5000]


def test_refunding_an_unpaid_payment_is_permanent(sandbox: Sandbox) -> None:
    url, _ = sandbox
    provider = provider_for(url)
    session = provider.create_checkout(checkout_request())
    intent = httpx.post(f"{url}/_sandbox/sessions/{session.id}/complete-unpaid").json()
    with pytest.raises(PaymentRejectedError) as caught:
        provider.refund(intent["payment_intent"], None, "refund-unpaid")
    assert caught.value.code == "charge_not_refundable"


def test_the_sandbox_setting_points_the_stripe_provider_at_the_sandbox(sandbox: Sandbox) -> None:
    url, _ = sandbox
    settings = Settings(
        payment_provider="sandbox", payments_sandbox_url=url + "/", stripe_api_key=TEST_API_KEY
    )
    provider = build_payment_provider(settings)
    assert isinstance(provider, StripePaymentProvider)
    session = provider.create_checkout(checkout_request())
    assert session.url == f"{url}/checkout/{session.id}"


def test_the_stripe_setting_uses_the_stripe_api_base() -> None:
    # A closed port as "Stripe": proves the base URL comes from stripe_api_base.
    dead = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        payment_provider="stripe", stripe_api_base=dead, stripe_max_network_retries=0
    )
    with pytest.raises(PaymentProviderUnavailableError):
        build_payment_provider(settings).create_checkout(checkout_request())


def test_expiring_an_open_checkout_closes_it_and_a_paid_one_refuses(sandbox: Sandbox) -> None:
    url, _ = sandbox
    provider = provider_for(url)
    open_session = provider.create_checkout(checkout_request())
    expired = provider.expire_checkout(open_session.id)
    assert (expired.status, expired.url) == ("expired", None)
    paid = provider.create_checkout(checkout_request())
    httpx.post(f"{url}/_sandbox/sessions/{paid.id}/pay").raise_for_status()
    with pytest.raises(PaymentRejectedError) as caught:
        provider.expire_checkout(paid.id)
    assert caught.value.code == "session_not_open"
    assert provider.retrieve_checkout(paid.id).payment_status == "paid"
