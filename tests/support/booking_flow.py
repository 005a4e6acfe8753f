"""Helpers for the paid-booking acceptance tests: play the lead, drive the sandboxes, read the DB.

They work on a ``BookingEnv`` (see ``booking_env``) and read the database
directly, so a test can assert what was written, not only what was answered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.booking_types import BookingTypeIn, create_booking_type
from leadscalendar.bookings.models import Booking, BookingEvent
from leadscalendar.calendar_sync import job_kinds as calendar_sync_kinds
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import Job, JobStatus
from leadscalendar.payments.models import PaymentEvent, PaymentEventKind
from tests.support.booking_env import LEAD, BookingEnv, wait_for

MAIL_KINDS = ("send_email", "send_reminder", "booking_mails")
# Jobs planned for a moment ahead (reminders, the host's morning digest): not work in flight.
PLANNED_KINDS = (
    "send_reminder",
    "host_digest",
    "prune_history",
    # The calendar polling clock: always one planned run ahead.
    "calendar_sync_poll",
)

API = "/api/v1/public"


@dataclass(frozen=True)
class Held:
    id: str
    token: str
    start: str

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(self.id)


def slot_starts(env: BookingEnv, type_slug: str, first_day: date, days: int = 7) -> list[str]:
    """Every offered start (UTC ISO strings as the API gives them) from ``first_day`` on."""
    response = env.lead.get(
        f"{API}/hosts/coach/types/{type_slug}/slots",
        params={"start": first_day.isoformat(), "days": days, "tz": "UTC"},
    )
    assert response.status_code == 200, response.text
    return [str(slot["start"]) for day in response.json()["days"] for slot in day["slots"]]


def days_ahead(days: int) -> date:
    return (datetime.now(UTC) + timedelta(days=days)).date()


def hold(
    env: BookingEnv, type_slug: str, start: str, client: httpx.Client | None = None
) -> httpx.Response:
    return (client or env.lead).post(
        f"{API}/hosts/coach/types/{type_slug}/bookings", json={"start": start, "lead": LEAD}
    )


def held(env: BookingEnv, type_slug: str, start: str) -> Held:
    response = hold(env, type_slug, start)
    assert response.status_code == 201, response.text
    body = response.json()
    return Held(body["id"], body["token"], start)


def confirm(env: BookingEnv, booking: Held) -> dict[str, Any]:
    response = env.lead.post(
        f"{API}/bookings/{booking.id}/confirm", params={"token": booking.token}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def checkout(env: BookingEnv, type_slug: str, start: str) -> tuple[Held, str]:
    """Hold and confirm a paid slot: (the booking, its checkout session id)."""
    booking = held(env, type_slug, start)
    body = confirm(env, booking)
    assert body["status"] == "awaiting_payment", body
    return booking, session_id_of(body["checkout_url"])


def session_id_of(checkout_url: str) -> str:
    return checkout_url.rstrip("/").rsplit("/", 1)[-1]


def sandbox(env: BookingEnv, method: str, path: str) -> Any:
    """Call the payments sandbox's control API (``/_sandbox/...``)."""
    response = httpx.request(method, f"{env.payments_url}/_sandbox/{path}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def sandbox_events(env: BookingEnv, event_type: str, session_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = sandbox(env, "GET", "events")
    return [
        event
        for event in events
        if event["type"] == event_type and event["data"]["object"]["id"] == session_id
    ]


def refunds(env: BookingEnv) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = sandbox(env, "GET", "refunds")
    return found


# Jobs the calendar-sync clock plans on its own while a test runs; a refused request
# must add no row, and these rows say nothing about the request.
_SYNC_CLOCK_KINDS = (
    calendar_sync_kinds.POLL,
    calendar_sync_kinds.RECONCILE,
    calendar_sync_kinds.SYNC,
    calendar_sync_kinds.RENEW_CHANNEL,
)


def row_counts(env: BookingEnv) -> dict[str, int]:
    """Rows a booking request could write; a refused request must leave all of them as they were."""
    with unit_of_work(env.services.session_factory) as session:
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Booking, BookingEvent, PaymentEvent)
        }
        request_jobs = (
            select(func.count()).select_from(Job).where(Job.kind.not_in(_SYNC_CLOCK_KINDS))
        )
        counts[Job.__tablename__] = session.scalar(request_jobs) or 0
        return counts


def db_booking(env: BookingEnv, booking_id: str | uuid.UUID) -> Booking:
    with unit_of_work(env.services.session_factory) as session:
        booking = session.get(Booking, uuid.UUID(str(booking_id)))
        assert booking is not None
        return booking


def all_bookings(env: BookingEnv) -> list[Booking]:
    with unit_of_work(env.services.session_factory) as session:
        return list(session.scalars(select(Booking)).all())


def jobs_of(env: BookingEnv, booking_id: str | uuid.UUID) -> list[tuple[str, JobStatus]]:
    """The booking's own work (calendar, refund), not the mails and reminders about it."""
    with unit_of_work(env.services.session_factory) as session:
        jobs = session.scalars(
            select(Job)
            .where(Job.subject_key == str(booking_id), Job.kind.not_in(MAIL_KINDS))
            .order_by(Job.created_at)
        ).all()
        return [(job.kind, job.status) for job in jobs]


def payment_events_of(env: BookingEnv, booking_id: str | uuid.UUID) -> list[PaymentEvent]:
    with unit_of_work(env.services.session_factory) as session:
        return list(
            session.scalars(
                select(PaymentEvent).where(PaymentEvent.booking_id == uuid.UUID(str(booking_id)))
            ).all()
        )


def wait_jobs_idle(env: BookingEnv, timeout: float = 20.0) -> None:
    """Until no job is queued or running (parked and finished jobs are settled).

    Reminders and digests wait for their moment, hours ahead: they are not counted.
    """

    def idle() -> bool:
        with unit_of_work(env.services.session_factory) as session:
            busy = session.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
                    Job.kind.not_in(PLANNED_KINDS),
                )
            )
            return busy == 0

    wait_for(idle, timeout, "jobs idle")


def expire_hold(env: BookingEnv, booking_id: str | uuid.UUID) -> None:
    """Move a hold's expiry into the past, as if the lead had dawdled."""
    with unit_of_work(env.services.session_factory) as session:
        session.execute(
            update(Booking)
            .where(Booking.id == uuid.UUID(str(booking_id)))
            .values(hold_expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )


def add_booking_type(env: BookingEnv, data: BookingTypeIn) -> None:
    with unit_of_work(env.services.session_factory) as session:
        host = session.scalar(select(Host))
        assert host is not None
        create_booking_type(session, host.id, data)


def assert_nothing_paid_without_a_verified_payment(env: BookingEnv) -> None:
    """Every booking that counts as paid has a verified 'paid' webhook recorded for it."""
    paid_kinds = (PaymentEventKind.CHECKOUT_PAID, PaymentEventKind.ASYNC_SUCCEEDED)
    with unit_of_work(env.services.session_factory) as session:
        verified = set(
            session.scalars(
                select(PaymentEvent.booking_id).where(PaymentEvent.kind.in_(paid_kinds))
            ).all()
        )
        for booking in session.scalars(select(Booking).where(Booking.amount_minor > 0)):
            if booking.paid_at is not None or booking.status.value in (
                "paid",
                "scheduled",
                "awaiting_approval",
            ):
                assert booking.id in verified, f"booking {booking.id} paid without a payment"
