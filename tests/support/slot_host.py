"""A host whose busy time comes from a fresh calendar mirror: slot answers with no Google call.

``slot_host`` gives the slot cache's tests (and the availability version's)
a verified host with one booking type, working hours and a Google connection
whose primary calendar is synced (``calendar_syncs`` row fresh, window a year
ahead): ``bookings.busy`` then answers from ``calendar_busy_blocks`` alone, so
each test runs in milliseconds on a real database, and a busy block written
into the mirror is a change of the host's Google calendar.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.booking_types import BookingTypeIn, create_booking_type
from leadscalendar.bookings.models import AvailabilityVersion, Schedule
from leadscalendar.bookings.schemas import HoldRequest, LeadDetails
from leadscalendar.bookings.slot_cache import CachedSlots, SlotKey
from leadscalendar.calendar_sync.models import CalendarSync, SyncMode
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.google.scopes import REQUIRED_SCOPES
from leadscalendar.services import Services, build_services
from leadscalendar.web import booking_flow
from tests.support.app_env import sandbox_settings
from tests.support.google_sandbox import GoogleSandbox

HOST_SLUG = "coach"
TYPE_SLUG = "intro"
ZONE = "Europe/Paris"
WORKING_HOURS = {str(day): [["09:00", "17:00"]] for day in range(7)}


@dataclass
class SlotHost:
    services: Services
    host_id: uuid.UUID
    booking_type_id: uuid.UUID
    sync_id: uuid.UUID
    # A day well inside the notice and the horizon, three days ahead.
    day: date

    def key(self, days: int = 1) -> SlotKey:
        return SlotKey(HOST_SLUG, TYPE_SLUG, self.day, days, ZONE)

    def answer(self, now: datetime | None = None, days: int = 1) -> CachedSlots:
        return booking_flow.slot_answer(self.services, self.key(days), now)

    def starts(self, now: datetime | None = None) -> list[datetime]:
        """The offered starts of ``day``, through the cache like the slot API."""
        return [slot.start for day in self.answer(now).answer.days for slot in day.slots]

    def version(self) -> int:
        with self.services.read_session_factory() as session:
            found = session.scalar(
                select(AvailabilityVersion.version).where(
                    AvailabilityVersion.host_id == self.host_id
                )
            )
        assert found is not None, "the host has no availability version"
        return found

    def hold(self, start: datetime, email: str = "lena@example.com") -> uuid.UUID:
        request = HoldRequest(start=start, lead=LeadDetails(name="Lena", email=email))
        plan = booking_flow.plan_hold(
            self.services, host_slug=HOST_SLUG, type_slug=TYPE_SLUG, request=request
        )
        with unit_of_work(self.services.session_factory) as session:
            return booking_flow.hold(self.services, session, plan).id


def seed_slot_host(services: Services) -> SlotHost:
    """The host, its type (an hour long, on the hour, no notice), its hours, a fresh mirror."""
    now = utcnow()
    with unit_of_work(services.session_factory) as session:
        host = Host(
            email="coach@example.com",
            name="Coach",
            slug=HOST_SLUG,
            password_hash="not-used",
            timezone=ZONE,
            email_verified_at=now,
        )
        session.add(host)
        session.flush()
        booking_type = create_booking_type(
            session,
            host.id,
            BookingTypeIn(
                slug=TYPE_SLUG,
                title="Intro",
                duration_minutes=60,
                slot_step_minutes=60,
                min_notice_minutes=0,
            ),
        )
        session.add(Schedule(host_id=host.id, weekly=WORKING_HOURS, overrides={}))
        connection = GoogleConnection(
            host_id=host.id,
            status=ConnectionStatus.ACTIVE,
            calendar_id="primary",
            granted_scopes=" ".join(REQUIRED_SCOPES),
            token_ciphertext=b"never-used",
        )
        session.add(connection)
        session.flush()
        sync = CalendarSync(
            connection_id=connection.id,
            host_id=host.id,
            calendar_id="primary",
            mode=SyncMode.POLL,
            sync_token="synced",
            window_end=now + timedelta(days=365),
            last_synced_at=now,
        )
        session.add(sync)
        session.flush()
        return SlotHost(
            services, host.id, booking_type.id, sync.id, (now + timedelta(days=3)).date()
        )


@pytest.fixture
def slot_host(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Iterator[SlotHost]:
    settings = sandbox_settings(
        google_sandbox, database_url=database_url, data_dir=tmp_path, app_port=app_port
    )
    services = build_services(settings)
    try:
        yield seed_slot_host(services)
    finally:
        services.engine.dispose()
