"""Helpers for the host API tests: API keys, a second host, a bearer client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from leadscalendar.accounts import api_keys
from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.models import Host
from leadscalendar.bookings.booking_types import (
    BookingTypeIn,
    ScheduleIn,
    create_booking_type,
    set_schedule,
)
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.session import unit_of_work
from leadscalendar.services import Services

LEAD = {"name": "Lena Lead", "email": "lena@example.com", "time_zone": "Europe/Paris"}


def create_key(services: Services, host_email: str, name: str = "test key") -> str:
    """A fresh API key for the host, as the dashboard would show it once."""
    with unit_of_work(services.session_factory) as session:
        host = session.scalar(select(Host).where(Host.email == host_email))
        assert host is not None
        return api_keys.create_api_key(session, host, name).secret


@contextmanager
def api_client(url: str, secret: str | None) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=15) as client:
        yield client


@dataclass(frozen=True)
class OtherHost:
    """A second host with a booking type and a booking awaiting approval."""

    email: str
    booking_type_id: str
    booking_id: str


def seed_other_host(services: Services, slug: str = "other") -> OtherHost:
    email = f"{slug}@example.com"
    with unit_of_work(services.session_factory) as session:
        host = accounts.create_host(
            session, email=email, name="Other", slug=slug, password="another password 123"
        )
        every_day = {day: [("08:00", "20:00")] for day in range(7)}
        set_schedule(session, host.id, ScheduleIn.model_validate({"weekly": every_day}))
        booking_type = create_booking_type(
            session,
            host.id,
            BookingTypeIn(
                slug="intro", title="Other intro", duration_minutes=30, requires_approval=True
            ),
        )
        start = (datetime.now(UTC) + timedelta(days=3)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        booking = Booking(
            id=uuid.uuid4(),
            host_id=host.id,
            booking_type_id=booking_type.id,
            status=BookingStatus.AWAITING_APPROVAL,
            start_at=start,
            end_at=start + timedelta(minutes=30),
            lead_time_zone="UTC",
            lead_name="Olga",
            lead_email="olga@example.com",
        )
        session.add(booking)
        session.flush()
        return OtherHost(email, str(booking_type.id), str(booking.id))
