"""The whole product on loopback: app, worker, Google sandbox and payments sandbox.

``booking_env`` is what end-to-end tests drive: a host connected to the Google
sandbox with a free and a paid booking type, a worker thread running jobs,
and helpers that play the lead through the public API.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from leadscalendar.config import Settings
from leadscalendar.db.session import unit_of_work
from leadscalendar.demo import seed_sample_host
from leadscalendar.jobs import Job, JobStatus
from leadscalendar.runtime import run_worker_process
from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from leadscalendar.services import Services, build_services
from leadscalendar.web.app import create_app
from tests.support.app_env import HOST_EMAIL, HOST_PASSWORD, ConnectedApp, log_in, sandbox_settings
from tests.support.google_sandbox import GoogleSandbox
from tests.support.live_server import live_server
from tests.support.payments import (
    TEST_API_KEY,
    TEST_WEBHOOK_SECRET,
    running_payments_sandbox,
    sandbox_config,
)

T = TypeVar("T")

FAST_JOBS = {
    "jobs_backoff_base_seconds": 0.05,
    "jobs_backoff_cap_seconds": 0.5,
    "jobs_poll_interval_seconds": 0.05,
    "jobs_lease_seconds": 10.0,
}
LEAD = {"name": "Lena Lead", "email": "lena@example.com", "time_zone": "Europe/Paris"}


def wait_for(probe: Callable[[], T | None], timeout: float = 20.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.05)


@dataclass
class BookingEnv:
    url: str
    lead: httpx.Client
    host: ConnectedApp
    google: GoogleSandbox
    payments_url: str
    payments: PaymentsSandbox
    services: Services

    def first_slot(self, type_slug: str) -> str:
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
        response = self.lead.get(
            f"/api/v1/public/hosts/coach/types/{type_slug}/slots",
            params={"start": tomorrow.isoformat(), "days": 14, "tz": "Europe/Paris"},
        )
        assert response.status_code == 200, response.text
        days = [day for day in response.json()["days"] if day["slots"]]
        assert days, "no free slot offered"
        return str(days[0]["slots"][0]["start"])

    def hold(self, type_slug: str, start: str, **headers: str) -> httpx.Response:
        return self.lead.post(
            f"/api/v1/public/hosts/coach/types/{type_slug}/bookings",
            json={
                "start": start,
                "lead": {**LEAD, "guests": [{"email": "guest@example.com", "name": "Gus"}]},
            },
            headers=headers,
        )

    def booking(self, booking_id: str, token: str) -> dict[str, Any]:
        response = self.lead.get(f"/api/v1/public/bookings/{booking_id}", params={"token": token})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_status(
        self, booking_id: str, token: str, status: str, timeout: float = 20.0
    ) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            booking = self.booking(booking_id, token)
            return booking if booking["status"] == status else None

        return wait_for(reached, timeout, f"booking {status}")

    def confirmed_booking(self, type_slug: str = "session") -> tuple[str, str, str]:
        """Hold the first free slot and confirm it: (booking id, token, checkout URL)."""
        held = self.hold(type_slug, self.first_slot(type_slug))
        assert held.status_code == 201, held.text
        booking_id, token = str(held.json()["id"]), str(held.json()["token"])
        confirmed = self.lead.post(
            f"/api/v1/public/bookings/{booking_id}/confirm", params={"token": token}
        )
        assert confirmed.status_code == 200, confirmed.text
        return booking_id, token, str(confirmed.json()["checkout_url"])

    def parked_job(self, booking_id: str, kind: str | None = None) -> Job | None:
        """The booking's parked job (of ``kind``, if given), if one is parked."""
        query = select(Job).where(Job.subject_key == booking_id, Job.status == JobStatus.PARKED)
        if kind is not None:
            query = query.where(Job.kind == kind)
        with self.services.session_factory() as session:
            return session.scalars(query).first()

    def pay(self, checkout_url: str) -> None:
        session_id = checkout_url.rstrip("/").rsplit("/", 1)[-1]
        response = httpx.post(f"{self.payments_url}/_sandbox/sessions/{session_id}/pay", timeout=10)
        assert response.status_code == 200, response.text

    def calendar_events(self) -> list[dict[str, Any]]:
        calendar_id = self.google.config.account_email
        events: list[dict[str, Any]] = self.google.control(
            "GET", f"calendars/{calendar_id}/events"
        )["events"]
        return events


@pytest.fixture
def booking_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    return sandbox_settings(
        google_sandbox,
        database_url=database_url,
        data_dir=tmp_path,
        app_port=app_port,
        payment_provider="sandbox",
        stripe_api_key=TEST_API_KEY,
        stripe_webhook_secret=TEST_WEBHOOK_SECRET,
        **FAST_JOBS,
    )


@pytest.fixture
def booking_env(
    booking_settings: Settings, app_port: int, google_sandbox: GoogleSandbox
) -> Iterator[BookingEnv]:
    with running_booking_env(booking_settings, app_port, google_sandbox) as env:
        yield env


@pytest.fixture
def stripe_booking_env(
    booking_settings: Settings, app_port: int, google_sandbox: GoogleSandbox
) -> Iterator[BookingEnv]:
    """The same product with ``payment_provider="stripe"``: the Stripe SDK against the sandbox."""
    with running_booking_env(booking_settings, app_port, google_sandbox, stripe=True) as env:
        yield env


@contextmanager
def running_booking_env(
    booking_settings: Settings,
    app_port: int,
    google_sandbox: GoogleSandbox,
    *,
    stripe: bool = False,
) -> Iterator[BookingEnv]:
    config = sandbox_config(webhook_url=f"http://127.0.0.1:{app_port}/webhooks/stripe")
    with running_payments_sandbox(config) as (payments_url, payments):
        update: dict[str, object] = {"payments_sandbox_url": payments_url}
        if stripe:
            update |= {"payment_provider": "stripe", "stripe_api_base": payments_url}
        settings = booking_settings.model_copy(update=update)
        services = build_services(settings)
        _seed_host(services)
        stop = threading.Event()
        worker = threading.Thread(
            target=run_worker_process,
            args=(services,),
            kwargs={"concurrency": 2, "stop_event": stop},
            daemon=True,
        )
        with (
            live_server(create_app(settings, services), port=app_port) as url,
            httpx.Client(base_url=url, follow_redirects=True, timeout=15) as host_client,
            httpx.Client(base_url=url, follow_redirects=True, timeout=15) as lead_client,
        ):
            log_in(host_client)
            host = ConnectedApp(
                url=url, client=host_client, sandbox=google_sandbox, services=services
            )
            host.connect()
            worker.start()
            try:
                yield BookingEnv(
                    url, lead_client, host, google_sandbox, payments_url, payments, services
                )
            finally:
                stop.set()
                worker.join(timeout=15)
        # live_server runs no lifespan: close what the app's shutdown would.
        services.webhook_sender.close()
        services.engine.dispose()


def _seed_host(services: Services) -> None:
    with unit_of_work(services.session_factory) as session:
        seed_sample_host(
            session,
            email=HOST_EMAIL,
            name="Coach",
            slug="coach",
            password=HOST_PASSWORD,
            timezone="Europe/Paris",
            min_notice_minutes=60,
        )
