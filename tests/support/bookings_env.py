"""Paid bookings against a connected Google sandbox, and the real worker to drain them.

``bookings_env`` builds on ``google_app`` (the app live on loopback, a host
logged in): it connects Google with the real OAuth dance, gives the host a
schedule open around the clock and a booking type, and offers helpers that
put bookings into ``paid`` through the bookings service (so the create-event
jobs are enqueued by the service itself), run the worker (a thread, or
``leadscalendar worker`` as a subprocess) and read what the sandbox calendar
and the jobs tables hold.

Modules that use it override ``app_settings`` with ``engine_settings`` so the
worker's backoff and polling are fast (see ``tests/bookings/conftest.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from leadscalendar.accounts import passwords
from leadscalendar.accounts.models import Host
from leadscalendar.bookings import changes, payment_events
from leadscalendar.bookings import service as bookings
from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.bookings.models import Booking, BookingType, Schedule
from leadscalendar.bookings.schemas import Guest, HoldRequest, LeadDetails
from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.models import GoogleConnection
from leadscalendar.jobs import Job, JobAttempt, JobStatus, WorkerStats
from leadscalendar.payments.models import PaymentEventKind
from leadscalendar.payments.provider import CheckoutSession
from leadscalendar.payments.webhooks import VerifiedPaymentEvent
from leadscalendar.runtime import run_worker_process
from leadscalendar.services import Services
from tests.support.app_env import ConnectedApp, sandbox_settings
from tests.support.google_sandbox import GoogleSandbox

HOST_TIME_ZONE = "Europe/Berlin"
SLOT_MINUTES = 30
# Open all day, every day: a test may need hundreds of distinct slots.
ALL_DAY = {str(day): [["00:00", "23:59"]] for day in range(7)}
SLOTS_PER_DAY = (24 * 60 - 1) // SLOT_MINUTES
ENGINE_OVERRIDES: dict[str, object] = {
    "jobs_backoff_base_seconds": 0.05,
    "jobs_backoff_cap_seconds": 0.5,
    # Past the fast phase, transient failures retry every ~1 s, not every ~20 min.
    "jobs_slow_retry_seconds": 1.0,
    "jobs_poll_interval_seconds": 0.05,
    "jobs_lease_seconds": 5.0,
}
PENDING = (JobStatus.QUEUED, JobStatus.RUNNING)
# Jobs planned for a moment ahead (reminders, the host's morning digest): not work in flight.
PLANNED_KINDS = (
    "send_reminder",
    "host_digest",
    "prune_history",
    # The calendar polling clock: always one planned run ahead.
    "calendar_sync_poll",
)
DEFAULT_WAIT_SECONDS = 20.0
# Small transactions: the session's identity map stays small and workers get turns.
BOOKINGS_PER_TRANSACTION = 25


def engine_settings(
    sandbox: GoogleSandbox, *, database_url: str, data_dir: Path, app_port: int, **overrides: object
) -> Settings:
    """The app's settings against the sandbox, with a worker tuned for tests."""
    return sandbox_settings(
        sandbox,
        database_url=database_url,
        data_dir=data_dir,
        app_port=app_port,
        **(ENGINE_OVERRIDES | overrides),
    )


def google_error(
    status: int, reason: str, message: str = "", domain: str = "global"
) -> dict[str, Any]:
    """A scripted answer carrying Google's v1 error body."""
    message = message or reason
    return {
        "status": status,
        "body": {
            "error": {
                "errors": [{"domain": domain, "reason": reason, "message": message}],
                "code": status,
                "message": message,
            }
        },
    }


def wait_until(
    condition: Callable[[], bool], *, timeout: float = DEFAULT_WAIT_SECONDS, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.05)


def worker_environment(settings: Settings, **overrides: object) -> dict[str, str]:
    """``LEADSCALENDAR_*`` variables that make ``leadscalendar worker`` use these settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADSCALENDAR_")}
    values = settings.model_dump(mode="json") | overrides
    for name, value in values.items():
        if isinstance(value, list):
            value = ",".join(str(item) for item in value)
        env[f"LEADSCALENDAR_{name.upper()}"] = str(value)
    return env


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_started(self, timeout: float = 90.0) -> None:
        def started() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.log()}")
            return "worker.start" in self.log()

        wait_until(started, timeout=timeout, what="the worker process to start")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM: in-flight jobs finish, then the process exits."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


@dataclass
class BookingsEnv:
    app: ConnectedApp
    host_id: uuid.UUID
    booking_type_id: uuid.UUID
    tmp_path: Path
    _next_slot: int = 0
    _processes: list[WorkerProcess] = field(default_factory=list)

    @property
    def services(self) -> Services:
        return self.app.services

    @property
    def settings(self) -> Settings:
        return self.app.services.settings

    @property
    def sandbox(self) -> GoogleSandbox:
        return self.app.sandbox

    @property
    def calendar_id(self) -> str:
        """The sandbox id of the host's primary calendar (the connection says "primary")."""
        return self.sandbox.config.account_email

    # -- set-up ------------------------------------------------------------------

    def update_type(self, **fields: Any) -> None:
        with unit_of_work(self.services.session_factory) as session:
            booking_type = session.get(BookingType, self.booking_type_id)
            assert booking_type is not None
            for name, value in fields.items():
                setattr(booking_type, name, value)

    def slot(self) -> datetime:
        """The next free slot: from the day after tomorrow (host time) on, back to back."""
        zone = ZoneInfo(HOST_TIME_ZONE)
        days, index = divmod(self._next_slot, SLOTS_PER_DAY)
        day = (utcnow().astimezone(zone) + timedelta(days=2 + days)).date()
        self._next_slot += 1
        return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
            minutes=SLOT_MINUTES * index
        )

    def book(
        self,
        count: int = 1,
        *,
        paid: bool = False,
        guests: Sequence[Guest] = (),
        lead_name: str = "Lea Lead",
        lead_email: str | None = None,
    ) -> list[uuid.UUID]:
        """``count`` bookings taken to ``paid`` by the service (committed in chunks).

        Each by a lead of their own address, unless ``lead_email`` names one for all.
        """
        ids = []
        for chunk in range(0, count, BOOKINGS_PER_TRANSACTION):
            size = min(BOOKINGS_PER_TRANSACTION, count - chunk)
            ids += self._book(size, paid, guests, lead_name, lead_email)
        return ids

    def _book(
        self,
        count: int,
        paid: bool,
        guests: Sequence[Guest],
        lead_name: str,
        lead_email: str | None = None,
    ) -> list[uuid.UUID]:
        ids = []
        with unit_of_work(self.services.session_factory) as session:
            host = session.get(Host, self.host_id)
            booking_type = session.get(BookingType, self.booking_type_id)
            assert host is not None and booking_type is not None
            for number in range(count):
                now = utcnow()
                request = HoldRequest(
                    start=self.slot(),
                    lead=LeadDetails(
                        name=lead_name,
                        email=lead_email or f"lead{self._next_slot}-{number}@example.com",
                        guests=tuple(guests),
                        time_zone="America/New_York",
                        notes="Looking forward to it.",
                    ),
                )
                booking = bookings.create_hold(
                    session, host=host, booking_type=booking_type, request=request, busy=[], now=now
                )
                if paid:
                    _pay(session, booking, now)
                else:
                    bookings.confirm_free(session, booking, booking_type, now)
                ids.append(booking.id)
        return ids

    # -- the worker ----------------------------------------------------------------

    @contextmanager
    def worker(self, *, concurrency: int = 4) -> Iterator[WorkerStats]:
        """The real worker (``run_worker_process``) on a thread for the block's duration."""
        stop = threading.Event()
        result: list[WorkerStats] = []
        thread = threading.Thread(
            target=lambda: result.append(
                run_worker_process(self.services, concurrency=concurrency, stop_event=stop)
            ),
            name="test-worker",
            daemon=True,
        )
        thread.start()
        stats = WorkerStats()
        try:
            yield stats
        finally:
            stop.set()
            thread.join(timeout=30)
            assert not thread.is_alive(), "the worker did not stop"
        if result:
            for name in ("claimed", "succeeded", "retried", "parked", "lease_lost", "released"):
                setattr(stats, name, getattr(result[0], name))
            stats.loop_errors = result[0].loop_errors

    def drain(self, *, concurrency: int = 4, timeout: float = DEFAULT_WAIT_SECONDS) -> WorkerStats:
        """Run the worker until no job is queued or running."""
        with self.worker(concurrency=concurrency) as stats:
            self.wait_drained(timeout=timeout)
        return stats

    def spawn_worker(self, *, concurrency: int = 4, **overrides: object) -> WorkerProcess:
        """``leadscalendar worker`` in its own process, on this test's database and sandbox."""
        executable = shutil.which("leadscalendar", path=str(Path(sys.executable).parent))
        assert executable, "the leadscalendar console script is not installed"
        log_path = self.tmp_path / f"worker-{len(self._processes)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [executable, "worker", "--concurrency", str(concurrency)],
                env=worker_environment(self.settings, **overrides),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        handle = WorkerProcess(process, log_path)
        self._processes.append(handle)
        return handle

    def close(self) -> None:
        for process in self._processes:
            if process.process.poll() is None:
                process.process.kill()
                process.process.wait(10)

    # -- what happened --------------------------------------------------------------

    def pending_jobs(self) -> int:
        with self.services.session_factory() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.status.in_(PENDING), Job.kind.not_in(PLANNED_KINDS))
                )
                or 0
            )

    def wait_drained(self, *, timeout: float = DEFAULT_WAIT_SECONDS) -> None:
        try:
            wait_until(lambda: self.pending_jobs() == 0, timeout=timeout, what="the queue to drain")
        except AssertionError:
            raise AssertionError(f"queue did not drain: {self.describe_jobs()}") from None

    def wait_for_jobs(
        self,
        condition: Callable[[list[Job]], bool],
        *,
        kind: str | None = CREATE_EVENT,
        timeout: float = DEFAULT_WAIT_SECONDS,
    ) -> None:
        """Wait until ``condition`` holds for the jobs of ``kind`` (calendar events by default).

        E-mail jobs that parks and refunds queue alongside are left out unless asked for.
        """
        try:
            wait_until(lambda: condition(self.jobs(kind)), timeout=timeout, what="the jobs")
        except AssertionError:
            raise AssertionError(f"jobs never got there: {self.describe_jobs()}") from None

    def describe_jobs(self) -> str:
        return "; ".join(
            f"{job.kind}:{job.status.value}:{job.park_code}:{job.attempts}:{job.last_error}"
            for job in self.jobs()
        )

    def jobs(self, kind: str | None = None, subject: uuid.UUID | None = None) -> list[Job]:
        with self.services.session_factory() as session:
            query = select(Job).order_by(Job.created_at, Job.id)
            if kind is not None:
                query = query.where(Job.kind == kind)
            if subject is not None:
                query = query.where(Job.subject_key == str(subject))
            return list(session.scalars(query))

    def attempts(self, job_id: uuid.UUID | None = None) -> list[JobAttempt]:
        with self.services.session_factory() as session:
            query = select(JobAttempt).order_by(JobAttempt.started_at, JobAttempt.number)
            if job_id is not None:
                query = query.where(JobAttempt.job_id == job_id)
            return list(session.scalars(query))

    def booking(self, booking_id: uuid.UUID) -> Booking:
        with self.services.session_factory() as session:
            booking = session.get(Booking, booking_id)
            assert booking is not None
            return booking

    def connection(self) -> GoogleConnection:
        with self.services.session_factory() as session:
            connection = session.scalar(
                select(GoogleConnection).where(GoogleConnection.host_id == self.host_id)
            )
            assert connection is not None
            return connection

    def events(self, calendar_id: str | None = None) -> list[dict[str, Any]]:
        """Every event of the calendar, cancelled ones included (the sandbox's view)."""
        found: list[dict[str, Any]] = self.sandbox.control(
            "GET", f"calendars/{calendar_id or self.calendar_id}/events"
        )["events"]
        return found

    def events_of(self, booking_id: uuid.UUID) -> list[dict[str, Any]]:
        """The events of the host's primary calendar that carry this booking's id."""
        return self.events_of_calendar(self.calendar_id, booking_id)

    def events_of_calendar(self, calendar_id: str, booking_id: uuid.UUID) -> list[dict[str, Any]]:
        return [
            event
            for event in self.events(calendar_id)
            if (event.get("extendedProperties") or {})
            .get("private", {})
            .get("leadscalendarBookingId")
            == str(booking_id)
        ]

    def script(self, method: str, *responses: dict[str, Any], after_apply: bool = False) -> None:
        self.sandbox.control(
            "POST",
            "script",
            {"method": method, "responses": list(responses), "after_apply": after_apply},
        )

    def stats(self) -> dict[str, Any]:
        found: dict[str, Any] = self.sandbox.control("GET", "stats")
        return found

    # -- changes after booking -----------------------------------------------------

    def cancel(self, booking_id: uuid.UUID, by: changes.CancelledBy) -> None:
        with unit_of_work(self.services.session_factory) as session:
            booking = bookings.get_booking(session, booking_id, for_update=True)
            changes.cancel(session, booking, by=by, now=utcnow())

    def reschedule(self, booking_id: uuid.UUID, by: changes.Actor = changes.Actor.HOST) -> datetime:
        new_start = self.slot()
        with unit_of_work(self.services.session_factory) as session:
            host = session.get(Host, self.host_id)
            assert host is not None
            booking = bookings.get_booking(session, booking_id, for_update=True)
            changes.reschedule(
                session, booking, host=host, new_start=new_start, busy=[], now=utcnow(), by=by
            )
        return new_start


def _pay(session: Any, booking: Booking, now: datetime) -> None:
    """Checkout, then the provider's verified "paid" event, as the webhook would deliver it."""
    checkout = CheckoutSession(
        id=f"cs_test_{booking.id.hex}",
        url=f"https://checkout.example/{booking.id.hex}",
        expires_at=now + timedelta(minutes=31),
        status="open",
        payment_status="unpaid",
        payment_intent_id=None,
        client_reference_id=str(booking.id),
        amount_total=booking.amount_minor,
        currency=booking.currency,
    )
    bookings.record_checkout(session, booking, checkout, now)
    event = VerifiedPaymentEvent(
        provider="sandbox",
        event_id=f"evt_{uuid.uuid4().hex}",
        type="checkout.session.completed",
        kind=PaymentEventKind.CHECKOUT_PAID,
        booking_id=booking.id,
        checkout_session_id=checkout.id,
        payment_intent_id=f"pi_{booking.id.hex}",
        payment_status="paid",
        amount_minor=booking.amount_minor,
        currency=booking.currency,
        livemode=False,
        created_at=now,
        data_object={},
        raw="{}",
    )
    payment_events.handle_payment_event(session, booking, event, now)


@pytest.fixture
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2's defaults cost ~1 s a hash on CI machines; logging in is not what these test."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def bookings_env(google_app: ConnectedApp, tmp_path: Path) -> Iterator[BookingsEnv]:
    """A host in Berlin with Google connected for real, open all day, and one free type."""
    page = google_app.connect()
    assert page.status_code == 200, page.text
    with unit_of_work(google_app.services.session_factory) as session:
        host = session.scalar(select(Host))
        assert host is not None
        host.timezone = HOST_TIME_ZONE
        session.add(Schedule(host_id=host.id, weekly=ALL_DAY, overrides={}))
        booking_type = BookingType(
            host_id=host.id,
            slug="intro",
            title="Intro call",
            duration_minutes=SLOT_MINUTES,
            price_minor=0,
            currency="eur",
            slot_step_minutes=SLOT_MINUTES,
            min_notice_minutes=60,
            max_days_ahead=60,
        )
        session.add(booking_type)
        session.flush()
        env = BookingsEnv(
            app=google_app, host_id=host.id, booking_type_id=booking_type.id, tmp_path=tmp_path
        )
    try:
        yield env
    finally:
        env.close()
