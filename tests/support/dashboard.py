"""Helpers for the dashboard tests: forms posted like a browser, a second host, DB peeks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import select

from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.models import Host
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs.models import Job, JobAttempt
from leadscalendar.services import Services
from tests.support.app_env import csrf_from, log_in

OTHER_EMAIL = "other@example.com"
OTHER_PASSWORD = "another long password"


def submit(
    client: httpx.Client,
    page_url: str,
    action: str,
    data: Mapping[str, str] | None = None,
    *,
    follow: bool = False,
) -> httpx.Response:
    """Open ``page_url``, take its CSRF token and post ``data`` to ``action``, as a browser does."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(
        action,
        data={**(data or {}), "csrf_token": csrf_from(page.text)},
        follow_redirects=follow,
    )


def host_by_slug(services: Services, slug: str = "coach") -> Host:
    with services.session_factory() as session:
        host = session.scalar(select(Host).where(Host.slug == slug))
        assert host is not None
        return host


def booking_type(services: Services, slug: str, host_slug: str = "coach") -> BookingType:
    host = host_by_slug(services, host_slug)
    with services.session_factory() as session:
        found = session.scalar(
            select(BookingType).where(BookingType.host_id == host.id, BookingType.slug == slug)
        )
        assert found is not None
        return found


def booking(services: Services, booking_id: str) -> Booking:
    with services.session_factory() as session:
        found = session.get(Booking, uuid.UUID(booking_id))
        assert found is not None
        return found


def jobs_of(services: Services, booking_id: str) -> list[Job]:
    with services.session_factory() as session:
        return list(session.scalars(select(Job).where(Job.subject_key == booking_id)))


def attempts_of(services: Services, job_id: uuid.UUID) -> list[JobAttempt]:
    with services.session_factory() as session:
        return list(session.scalars(select(JobAttempt).where(JobAttempt.job_id == job_id)))


@contextmanager
def other_host(services: Services, base_url: str) -> Iterator[httpx.Client]:
    """A second host, logged in on its own client, in the same database."""
    with unit_of_work(services.session_factory) as session:
        accounts.create_host(
            session, email=OTHER_EMAIL, name="Other", slug="other", password=OTHER_PASSWORD
        )
    with httpx.Client(base_url=base_url, follow_redirects=True, timeout=15) as client:
        log_in(client, OTHER_EMAIL, OTHER_PASSWORD)
        yield client


def type_form(**overrides: Any) -> dict[str, str]:
    """A valid booking type form, as the browser posts it."""
    form = {
        "title": "Deep dive",
        "slug": "deep-dive",
        "description": "Ninety minutes on one problem.",
        "duration_minutes": "90",
        "price": "90.00",
        "currency": "eur",
        "location_kind": "meet",
        "location": "",
        "buffer_before_minutes": "10",
        "buffer_after_minutes": "15",
        "min_notice_minutes": "240",
        "max_days_ahead": "30",
        "slot_step_minutes": "30",
        "daily_limit": "3",
        "calendar_id": "",
        "send_updates": "externalOnly",
        "reminder_method_0": "email",
        "reminder_minutes_0": "1440",
        "reminder_method_1": "popup",
        "reminder_minutes_1": "10",
        "mail_reminders": "24h, 1h",
        "hold_minutes": "20",
        "refund_cutoff_hours": "48",
        "requires_approval": "on",
        "active": "on",
    }
    form.update({key: str(value) for key, value in overrides.items()})
    return {key: value for key, value in form.items() if value != "<absent>"}
