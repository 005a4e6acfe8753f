from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadscalendar.payments.provider import CheckoutRequest

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def request(**overrides: Any) -> CheckoutRequest:
    values: dict[str, Any] = {
        "booking_id": uuid.uuid4(),
        "host_id": uuid.uuid4(),
        "amount_minor": 5000,
        "currency": "eur",
        "description": "Coaching, 60 minutes",
        "customer_email": "lead@example.com",
        "success_url": "https://app.example/bookings/1/paid",
        "cancel_url": "https://app.example/bookings/1",
        "expires_at": NOW + timedelta(hours=1),
        "idempotency_key": "checkout-1",
        "metadata": {"booking_type": "intro"},
    }
    values.update(overrides)
    return CheckoutRequest(**values)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount_minor": 0}, "positive"),
        ({"amount_minor": 12.5}, "integer"),
        ({"amount_minor": True}, "integer"),
        ({"currency": "EUR"}, "lowercase"),
        ({"currency": "euro"}, "lowercase"),
        ({"description": "  "}, "description"),
        ({"expires_at": datetime(2026, 11, 25, 13, 0)}, "timezone-aware"),  # noqa: DTZ001
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "k" * 256}, "idempotency_key"),
        ({"success_url": "/relative"}, "success_url"),
        ({"metadata": {"booking_id": "x"}}, "reserved"),
        ({"metadata": {"k" * 41: "v"}}, "1 to 40"),
        ({"metadata": {"note": "v" * 501}}, "500"),
        ({"metadata": {f"k{i}": "v" for i in range(49)}}, "at most"),
    ],
)
def test_invalid_requests_fail_before_any_network_call(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        request(**overrides)


@pytest.mark.parametrize(
    ("lifetime", "ok"),
    [
        (timedelta(minutes=29, seconds=59), False),
        (timedelta(minutes=30), True),
        (timedelta(hours=24), True),
        (timedelta(hours=24, seconds=1), False),
    ],
)
def test_lifetime_follows_stripes_bounds(lifetime: timedelta, ok: bool) -> None:
    checkout = request(expires_at=NOW + lifetime)
    if ok:
        checkout.check_lifetime(NOW)
    else:
        with pytest.raises(ValueError, match="30 minutes and 24 hours"):
            checkout.check_lifetime(NOW)


def test_a_retry_is_measured_from_the_first_attempt_so_it_can_repeat_it_exactly() -> None:
    first = request(expires_at=NOW + timedelta(minutes=31), first_attempt_at=NOW)
    first.check_lifetime(NOW + timedelta(minutes=20))  # 11 minutes left: still the same request
    with pytest.raises(ValueError, match="passed"):
        first.check_lifetime(NOW + timedelta(minutes=31))
    with pytest.raises(ValueError, match="30 minutes and 24 hours"):
        request(expires_at=NOW + timedelta(minutes=20), first_attempt_at=NOW).check_lifetime(NOW)


def test_reserved_metadata_always_names_the_booking_and_host() -> None:
    checkout = request()
    assert checkout.provider_metadata() == {
        "booking_type": "intro",
        "booking_id": str(checkout.booking_id),
        "host_id": str(checkout.host_id),
    }


def test_metadata_cannot_be_changed_after_construction() -> None:
    source = {"booking_type": "intro"}
    checkout = request(metadata=source)
    source["booking_type"] = "changed"
    assert checkout.metadata["booking_type"] == "intro"
    with pytest.raises(TypeError):
        checkout.metadata["x"] = "y"  # type: ignore[index]
