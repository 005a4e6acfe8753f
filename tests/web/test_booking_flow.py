"""The lead's confirm-and-pay step against the payments sandbox (``web.booking_flow``).

A lost answer from the provider must not lock the lead out, and the
provider's own error text (written for developers, quoting a masked key)
never reaches the lead's page or JSON: the log has it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import httpx
import pytest

from leadscalendar.config import Settings
from leadscalendar.payments.errors import PROVIDER_REFUSED_MESSAGE
from tests.support.booking_env import BookingEnv, running_booking_env
from tests.support.booking_flow import API, days_ahead, db_booking, held, sandbox, slot_starts
from tests.support.google_sandbox import GoogleSandbox
from tests.support.lead_pages import confirm, hold_through_pages

WRONG_KEY = "sk_test_wrongkey0123456789abcd"
# What a leaked provider text would look like on a page: none of it may show.
PROVIDER_WORDS = ("sk_test", "API Key", "****", "abcd", "Error")


def test_pay_again_after_a_lost_answer_returns_the_same_checkout(booking_env: BookingEnv) -> None:
    env = booking_env
    booking = held(env, "session", slot_starts(env, "session", days_ahead(2))[0])
    retries = env.services.settings.stripe_max_network_retries
    # The provider creates the session every time, but no answer comes back.
    sandbox_fault = {"status": 500, "count": retries + 1, "after_work": True}
    httpx.post(f"{env.payments_url}/_sandbox/faults", json=sandbox_fault).raise_for_status()

    lost = env.lead.post(f"{API}/bookings/{booking.id}/confirm", params={"token": booking.token})
    assert lost.status_code == 503, lost.text
    assert "try again" in lost.json()["error"]["message"]
    time.sleep(1.1)  # a later click: a fresh expiry would differ, and Stripe would refuse it

    again = env.lead.post(f"{API}/bookings/{booking.id}/confirm", params={"token": booking.token})
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "awaiting_payment"
    (only,) = sandbox(env, "GET", "sessions")
    assert again.json()["checkout_url"] == only["url"]
    stored = db_booking(env, booking.id)
    assert stored.checkout_session_id == only["id"]
    assert stored.checkout_expires_at is not None
    assert int(stored.checkout_expires_at.timestamp()) == only["expires_at"]


@pytest.fixture
def wrong_key_env(
    booking_settings: Settings, app_port: int, google_sandbox: GoogleSandbox
) -> Iterator[BookingEnv]:
    """The product configured with an API key the provider does not know."""
    settings = booking_settings.model_copy(update={"stripe_api_key": WRONG_KEY})
    with running_booking_env(settings, app_port, google_sandbox) as env:
        yield env


def test_a_provider_error_quoting_a_masked_key_never_reaches_the_lead(
    wrong_key_env: BookingEnv, caplog: pytest.LogCaptureFixture
) -> None:
    env = wrong_key_env
    caplog.set_level(logging.WARNING, logger="leadscalendar.payments.stripe")
    booking = held(env, "session", slot_starts(env, "session", days_ahead(2))[0])

    answer = env.lead.post(f"{API}/bookings/{booking.id}/confirm", params={"token": booking.token})
    assert answer.status_code == 502
    assert answer.json()["error"]["message"] == PROVIDER_REFUSED_MESSAGE
    for words in PROVIDER_WORDS:
        assert words not in answer.text

    page = confirm(env.lead, hold_through_pages(env.lead, "session"))
    assert page.status_code == 502
    assert "contact the host" in page.text
    for words in PROVIDER_WORDS:
        assert words not in page.text

    assert "Invalid API Key provided: sk_test_****" in caplog.text
    assert WRONG_KEY not in caplog.text
