"""The instruments move when a paid booking flows through the whole product."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr

from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.config import Settings
from leadscalendar.observability import metrics
from tests.support.booking_env import BookingEnv, running_booking_env
from tests.support.booking_flow import wait_jobs_idle
from tests.support.google_sandbox import GoogleSandbox
from tests.support.metrics import Samples, scrape, total, value

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def metered_env(
    booking_settings: Settings, app_port: int, google_sandbox: GoogleSandbox
) -> Iterator[BookingEnv]:
    settings = booking_settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    with running_booking_env(settings, app_port, google_sandbox) as env:
        yield env


def _scrape(env: BookingEnv) -> Samples:
    with httpx.Client(base_url=env.url, timeout=10) as client:
        return scrape(client, TOKEN)


def test_a_paid_booking_moves_every_instrument_on_its_path(metered_env: BookingEnv) -> None:
    env = metered_env
    before = _scrape(env)
    booking_id, token, checkout_url = env.confirmed_booking()
    held = _scrape(env)
    assert value(held, "leadscalendar_bookings", state="awaiting_payment") == (
        value(before, "leadscalendar_bookings", state="awaiting_payment") + 1
    )

    env.pay(checkout_url)
    env.wait_status(booking_id, token, "scheduled")
    wait_jobs_idle(env)
    after = _scrape(env)

    def grew(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert value(after, "leadscalendar_bookings", state="scheduled") == (
        value(before, "leadscalendar_bookings", state="scheduled") + 1
    )
    assert value(after, "leadscalendar_bookings", state="awaiting_payment") == value(
        before, "leadscalendar_bookings", state="awaiting_payment"
    )
    assert grew("leadscalendar_webhook_intake_seconds_count", provider="stripe", result="new") >= 1
    assert (
        grew(
            "leadscalendar_google_calls_total", method="events.insert", outcome="ok", reason="none"
        )
        == 1
    )
    assert grew("leadscalendar_google_call_seconds_count", method="events.insert") == 1
    assert grew("leadscalendar_job_attempts_total", kind=CREATE_EVENT, outcome="succeeded") == 1
    assert grew("leadscalendar_job_run_seconds_count", kind=CREATE_EVENT) == 1
    assert (
        grew("leadscalendar_job_latency_seconds_count", kind=CREATE_EVENT, status="succeeded") == 1
    )
    assert grew("leadscalendar_job_attempts_used_sum", kind=CREATE_EVENT, status="succeeded") == 1
    # The lead's confirmation and the host's notice: recorded (no SMTP in this env) or sent.
    assert grew("leadscalendar_mails_total") >= 1
    assert total(after, "leadscalendar_mails_total", result="rejected") == total(
        before, "leadscalendar_mails_total", result="rejected"
    )
    # Nothing of the booking's own work is waiting any more.
    assert value(after, "leadscalendar_jobs", kind=CREATE_EVENT, state="queued") == 0
    assert value(after, "leadscalendar_jobs", kind=CREATE_EVENT, state="running") == 0


def test_no_series_is_labelled_with_an_id(metered_env: BookingEnv) -> None:
    env = metered_env
    booking_id, token, checkout_url = env.confirmed_booking()
    env.pay(checkout_url)
    env.wait_status(booking_id, token, "scheduled")
    samples = _scrape(env)
    labels = {label for (_name, found) in samples for _key, label in found}
    assert booking_id not in labels
    assert not any(len(label) >= 32 for label in labels), sorted(labels, key=len)[-3:]


def test_the_quota_gauge_follows_the_pacers_reading() -> None:
    reading = [3.0]
    stop = threading.Event()
    with metrics.quota_readings(lambda: reading[0], stop, interval=0.01):
        assert _eventually(lambda: _quota_gauge() == 3.0)
        reading[0] = 7.5
        assert _eventually(lambda: _quota_gauge() == 7.5)
    # A stopped worker paces nothing.
    assert _quota_gauge() == 0.0


def _quota_gauge() -> float | None:
    return REGISTRY.get_sample_value(
        "leadscalendar_google_quota_tokens_in_use", {"scope": "project"}
    )


def _eventually(probe: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return True
        time.sleep(0.005)
    return False
