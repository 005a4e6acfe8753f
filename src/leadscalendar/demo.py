"""``leadscalendar demo``: the whole product on loopback, offline, in one command.

One process runs six things: the app, a job worker, the Google sandbox, the
payments sandbox, the mail sandbox (an SMTP sink on port + 4 and its
mailbox page on port + 3, so every mail can be read and none leaves the
machine) and a webhook receiver on port + 5 (its page lists every booking
event delivered and whether its signature verified), with SQLite in a data
directory. A demo host is created and connected to the sandbox Google account
through the real OAuth flow (the very requests a browser would make), with a
free and a paid booking type, and a webhook endpoint pointing at the receiver.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.models import Host
from leadscalendar.bookings import repository as bookings_repository
from leadscalendar.bookings.booking_types import (
    BookingTypeIn,
    ScheduleIn,
    create_booking_type,
    set_schedule,
)
from leadscalendar.config import Settings
from leadscalendar.db import migrate
from leadscalendar.db.session import unit_of_work
from leadscalendar.google import repository as google_repository
from leadscalendar.runtime import run_worker_process
from leadscalendar.sandbox.google import SandboxConfig, create_sandbox_app
from leadscalendar.sandbox.mail import Mailbox, MailSink, create_mailbox_app
from leadscalendar.sandbox.payments import PaymentsSandboxConfig, create_payments_sandbox_app
from leadscalendar.sandbox.receiver import ReceiverStore, create_receiver_app
from leadscalendar.services import Services, build_services
from leadscalendar.web.app import create_app
from leadscalendar.webhooks_out import service as webhooks
from leadscalendar.webhooks_out.models import EventType
from leadscalendar.webhooks_out.schemas import EndpointIn
from leadscalendar.webhooks_out.signing import EndpointSecrets

logger = logging.getLogger(__name__)

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed on screen for the demo on purpose
DEMO_SLUG = "demo"
DEMO_ZONE = "Europe/Paris"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CONSENT_REQUEST = re.compile(r'name="request_id" value="([^"]+)"')
_CONSENT_SCOPE = re.compile(r'type="checkbox" name="scope" id="[^"]+" value="([^"]+)"')


def demo_settings(port: int, data_dir: str) -> Settings:
    google = f"http://127.0.0.1:{port + 1}"
    return Settings(
        data_dir=Path(data_dir),
        database_url="",
        public_url=f"http://127.0.0.1:{port}",
        google_auth_uri=f"{google}/o/oauth2/v2/auth",
        google_token_uri=f"{google}/token",
        google_revoke_uri=f"{google}/revoke",
        google_userinfo_uri=f"{google}/oauth2/v3/userinfo",
        google_api_base=f"{google}/",
        payment_provider="sandbox",
        payments_sandbox_url=f"http://127.0.0.1:{port + 2}",
        smtp_url=f"smtp://127.0.0.1:{port + 4}",
        mail_from="LeadsCalendar <bookings@leadscalendar.demo>",
        jobs_poll_interval_seconds=0.2,
        # The demo's webhook receiver is on loopback.
        webhooks_allow_private_addresses=True,
    )


def seed_sample_host(
    session: Session,
    *,
    email: str,
    name: str,
    slug: str,
    password: str,
    timezone: str,
    min_notice_minutes: int,
) -> Host:
    """A host open 08:00-20:00 every day with a free "intro" and a paid "session" type.

    Idempotent, so the demo can run it on every start; the end-to-end tests use
    it too, so what they exercise is what a newcomer sees.
    """
    host = accounts_repository.get_host_by_email(session, email)
    if host is None:
        host = accounts.create_host(
            session, email=email, name=name, slug=slug, password=password, timezone=timezone
        )
        every_day = {day: [("08:00", "20:00")] for day in range(7)}
        set_schedule(session, host.id, ScheduleIn.model_validate({"weekly": every_day}))
    samples = (
        BookingTypeIn(
            slug="intro",
            title="Intro call",
            duration_minutes=30,
            min_notice_minutes=min_notice_minutes,
        ),
        BookingTypeIn(
            slug="session",
            title="Coaching session",
            duration_minutes=60,
            price_minor=9000,
            currency="eur",
            google_meet=True,
            min_notice_minutes=min_notice_minutes,
        ),
    )
    for sample in samples:
        if bookings_repository.get_booking_type(session, host.id, sample.slug) is None:
            create_booking_type(session, host.id, sample)
    return host


def _seed(services: Services) -> None:
    with unit_of_work(services.session_factory) as session:
        seed_sample_host(
            session,
            email=DEMO_EMAIL,
            name="Demo Host",
            slug=DEMO_SLUG,
            password=DEMO_PASSWORD,
            timezone=DEMO_ZONE,
            min_notice_minutes=30,
        )


def _subscribe_receiver(services: Services, receiver_url: str) -> str:
    """The demo host's endpoint at the local receiver (made once); returns its secret.

    The receiver needs the secret to verify, so the demo reads it back from
    its encrypted column, something only the process holding the key can do.
    """
    url = f"{receiver_url}/hooks/demo"
    with unit_of_work(services.session_factory) as session:
        host = accounts_repository.get_host_by_email(session, DEMO_EMAIL)
        assert host is not None
        for endpoint in webhooks.list_endpoints(session, host.id):
            if endpoint.url == url:
                return EndpointSecrets.decrypt(services.cipher, endpoint.secret_ciphertext).current
        created = webhooks.create_endpoint(
            session,
            services.cipher,
            services.settings,
            host.id,
            EndpointIn(url=url, description="Demo receiver", event_types=list(EventType)),
        )
        return created.secret


def _is_connected(services: Services) -> bool:
    with services.session_factory() as session:
        host = session.scalar(select(Host).where(Host.email == DEMO_EMAIL))
        return host is not None and google_repository.get_connection(session, host.id) is not None


def _connect_demo_host(app_url: str) -> None:
    """Log in and press "Connect Google Calendar", then "Allow" on the sandbox's consent page."""
    with httpx.Client(base_url=app_url, timeout=15) as browser:
        page = browser.get("/login")
        token = _CSRF.search(page.text)
        assert token, "login page without CSRF field"
        browser.post(
            "/login",
            data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        )
        dashboard = browser.get("/dashboard")
        token = _CSRF.search(dashboard.text)
        assert token, "dashboard without CSRF field"
        consent_url = browser.post(
            "/dashboard/google/connect", data={"csrf_token": token.group(1)}
        ).headers["location"]
        consent = httpx.get(consent_url, timeout=15)
        request_id = _CONSENT_REQUEST.search(consent.text)
        assert request_id, "sandbox consent page without a request id"
        decision_url = consent_url.split("/o/oauth2/v2/auth", 1)[0] + "/o/oauth2/v2/auth/decision"
        answer = httpx.post(
            decision_url,
            data={
                "request_id": request_id.group(1),
                "decision": "allow",
                "scope": _CONSENT_SCOPE.findall(consent.text),
                "account_email": "host@sandbox.test",
            },
            timeout=15,
        )
        browser.get(answer.headers["location"])


def _serve_in_thread(app: object, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit(f"A demo server could not start on port {port}; is it already taken?")
        time.sleep(0.05)
    return server


def run_demo(port: int, data_dir: str) -> None:
    settings = demo_settings(port, data_dir)
    migrate.upgrade(settings.resolved_database_url)
    services = build_services(settings)
    _seed(services)
    app_url = settings.public_url
    mailbox = Mailbox()
    receiver_url = f"http://127.0.0.1:{port + 5}"
    receiver = ReceiverStore(secret=_subscribe_receiver(services, receiver_url))
    sink = MailSink(mailbox, "127.0.0.1", port + 4)
    sink.start()
    servers = [
        _serve_in_thread(create_mailbox_app(mailbox), port + 3),
        _serve_in_thread(create_receiver_app(receiver), port + 5),
        _serve_in_thread(
            create_sandbox_app(
                SandboxConfig(
                    client_id=settings.google_client_id,
                    client_secret=settings.google_client_secret,
                    redirect_uris=(settings.google_redirect_uri,),
                )
            ),
            port + 1,
        ),
        _serve_in_thread(
            create_payments_sandbox_app(
                PaymentsSandboxConfig(
                    api_key=settings.stripe_api_key,
                    webhook_secret=settings.stripe_webhook_secret,
                    webhook_url=f"{app_url}/webhooks/stripe",
                    public_url=settings.payments_sandbox_url,
                )
            ),
            port + 2,
        ),
        _serve_in_thread(create_app(settings, services), port),
    ]
    # The sandbox forgets its grants on restart, so the demo host connects every run.
    _connect_demo_host(app_url)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker_process,
        args=(services,),
        kwargs={"concurrency": 4, "stop_event": stop},
        daemon=True,
    )
    worker.start()
    print(  # noqa: T201 - the demo talks to a person
        "\nLeadsCalendar demo is running. Press Ctrl-C to stop everything.\n\n"
        f"  Start here:            {app_url}/\n"
        "                         sign up (the mail is in the mailbox below), or\n"
        f"                         log in as the demo host {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
        f"  Book a paid session:   {app_url}/{DEMO_SLUG}/session\n"
        f"  Book a free intro:     {app_url}/{DEMO_SLUG}/intro\n"
        f"  Sandbox calendar:      http://127.0.0.1:{port + 1}/_sandbox/calendar\n"
        f"  Payments sandbox:      {settings.payments_sandbox_url}/_sandbox/sessions\n"
        f"  Mailbox (every mail):  http://127.0.0.1:{port + 3}/\n"
        f"  Webhook receiver:      {receiver_url}/\n"
        f"  OpenAPI document:      {app_url}/openapi.json\n",
        flush=True,
    )
    try:
        while worker.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)  # noqa: T201
    finally:
        stop.set()
        worker.join(timeout=30)
        for server in reversed(servers):
            server.should_exit = True
        sink.stop()
        services.engine.dispose()
