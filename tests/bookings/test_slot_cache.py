"""Cached slot answers: one statement when nothing changed, never a slot a commit has taken.

Each kind of change is made the way the product makes it (a hold, a
cancellation, the host's hours, a mirrored Google event, time passing), then
the next answer is read through the cache as the slot API reads it. The
host's busy time comes from a fresh mirror (``tests/support/slot_host.py``),
so no test here waits for Google.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from leadscalendar.bookings.changes import CancelledBy
from leadscalendar.bookings.models import Booking, BookingType, Schedule
from leadscalendar.calendar_sync.models import BusyBlock, CalendarSync
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.services import build_services
from leadscalendar.web import booking_flow
from tests.support.slot_host import SlotHost


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements SQLAlchemy runs inside the block (BEGIN and COMMIT left out)."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        sql = str(args[2]).strip()
        if sql.split()[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}:
            seen.append(sql)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_an_unchanged_host_costs_the_version_read_alone_and_the_same_bytes(
    slot_host: SlotHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = slot_host
    first = env.answer()
    assert first.answer.days and first.answer.days[0].slots
    cache = env.services.slot_cache
    reads: list[str] = []
    read = cache.version
    monkeypatch.setattr(cache, "version", lambda slug: reads.append(slug) or read(slug))
    with statements() as seen:
        again = env.answer()
    assert reads == ["coach"] and seen == [], "the version is read on the driver's cursor"
    assert again is first
    assert again.body == first.answer.model_dump_json().encode()


def test_a_hold_takes_its_slot_at_once_and_a_cancellation_gives_it_back(
    slot_host: SlotHost,
) -> None:
    env = slot_host
    offered = env.starts()
    booking_id = env.hold(offered[2])

    assert env.starts() == offered[:2] + offered[3:]
    with unit_of_work(env.services.session_factory) as session:
        booking_flow.cancel(session, booking_id, CancelledBy.LEAD)
    assert env.starts() == offered


def test_another_process_taking_a_slot_is_seen_here(slot_host: SlotHost) -> None:
    """The version lives in the database: a write by any process invalidates every cache."""
    env = slot_host
    offered = env.starts()
    elsewhere = build_services(env.services.settings)
    try:
        other = SlotHost(elsewhere, env.host_id, env.booking_type_id, env.sync_id, env.day)
        assert other.starts() == offered  # that process has its own cached answer now
        other.hold(offered[0])
    finally:
        elsewhere.engine.dispose()
    assert env.starts() == offered[1:]


def test_changed_hours_show_at_once(slot_host: SlotHost) -> None:
    env = slot_host
    offered = env.starts()
    with unit_of_work(env.services.session_factory) as session:
        schedule = session.get(Schedule, _schedule_id(env))
        assert schedule is not None
        schedule.overrides = {env.day.isoformat(): [["09:00", "11:00"]]}
    assert env.starts() == offered[:2]


def test_an_event_mirrored_from_google_takes_its_time_at_once(slot_host: SlotHost) -> None:
    env = slot_host
    offered = env.starts()
    with unit_of_work(env.services.session_factory) as session:
        session.add(
            BusyBlock(
                sync_id=env.sync_id,
                event_id="dentist",
                start_at=offered[1],
                end_at=offered[1] + timedelta(minutes=90),
            )
        )
    # Hour-long slots on the hour: the dentist's 90 minutes take two of them.
    assert env.starts() == offered[:1] + offered[3:]


@pytest.fixture
def no_max_age(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers bounded by what changes with time alone, not by the one-minute safety net."""
    monkeypatch.setattr(booking_flow, "MAX_AGE", timedelta(days=1))


@pytest.mark.usefixtures("no_max_age")
def test_an_expiring_hold_frees_its_slot_with_no_write(slot_host: SlotHost) -> None:
    env = slot_host
    offered = env.starts()
    booking_id = env.hold(offered[0])
    expires = utcnow() + timedelta(minutes=2)
    with unit_of_work(env.services.session_factory) as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        booking.hold_expires_at = expires
    taken = env.answer()
    assert taken.valid_until <= expires
    assert env.starts(now=expires - timedelta(seconds=1)) == offered[1:]

    assert env.starts(now=expires + timedelta(seconds=1)) == offered


@pytest.mark.usefixtures("no_max_age")
def test_an_answer_ends_when_its_first_slot_comes_inside_the_notice(slot_host: SlotHost) -> None:
    env = slot_host
    first = env.starts()[0]
    # A notice that reaches the first slot between one and two minutes from now.
    notice = timedelta(minutes=(first - utcnow()) // timedelta(minutes=1) - 1)
    with unit_of_work(env.services.session_factory) as session:
        booking_type = session.get(BookingType, env.booking_type_id)
        assert booking_type is not None
        booking_type.min_notice_minutes = notice // timedelta(minutes=1)
    answer = env.answer()
    assert answer.answer.days[0].slots[0].start == first
    assert answer.valid_until <= first - notice

    assert env.starts(now=first - notice + timedelta(seconds=1))[0] > first


@pytest.mark.usefixtures("no_max_age")
def test_an_answer_lasts_no_longer_than_the_mirror_is_fresh(slot_host: SlotHost) -> None:
    env = slot_host
    synced = utcnow() - timedelta(seconds=10)
    with unit_of_work(env.services.session_factory) as session:
        sync = session.get(CalendarSync, env.sync_id)
        assert sync is not None
        sync.last_synced_at = synced
    answer = env.answer()
    fresh = timedelta(seconds=env.services.settings.calendar_fresh_seconds)
    assert answer.valid_until <= synced + fresh


def test_a_rescheduling_lead_sees_their_own_time_and_nothing_is_cached(
    slot_host: SlotHost,
) -> None:
    env = slot_host
    offered = env.starts()
    booking_id = env.hold(offered[0])
    moving = booking_flow.list_slots(
        env.services,
        host_slug="coach",
        type_slug="intro",
        first_day=env.day,
        days=1,
        time_zone="Europe/Paris",
        exclude=booking_id,
    )
    assert [slot.start for day in moving.days for slot in day.slots] == offered
    assert env.starts() == offered[1:]


def _schedule_id(env: SlotHost) -> uuid.UUID:
    with env.services.read_session_factory() as session:
        found = session.query(Schedule.id).filter(Schedule.host_id == env.host_id).scalar()
    assert found is not None
    return found
