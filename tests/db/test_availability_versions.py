"""The availability version moves with every write a slot page could see, and only those.

The triggers are the slot cache's whole correctness: a write they miss is a
slot offered after it was taken. Every kind of write is made here as the
product (or an operator) would make it, ORM and bulk statements alike, on
each backend, and the version is read back after its commit. The writes that
must not bump (the worker's ``paid`` -> ``scheduled``, token refreshes, push
message numbers) are here too: bumping on those would make the cache useless
and put the version row's lock on the worker's path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.models import AvailabilityVersion, Booking, BookingType, Schedule
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.calendar_sync.models import (
    BusyBlock,
    CalendarSync,
    ChannelState,
    WatchChannel,
)
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from tests.support.slot_host import SlotHost

Write = Callable[[Session, SlotHost], None]


def _booking(session: Session, env: SlotHost) -> Booking:
    booking = session.scalar(select(Booking).where(Booking.host_id == env.host_id))
    assert booking is not None
    return booking


def _set_status(status: BookingStatus) -> Write:
    def write(session: Session, env: SlotHost) -> None:
        _booking(session, env).status = status

    return write


def _lengthen_in_bulk(session: Session, env: SlotHost) -> None:
    """A Core UPDATE, no ORM object: what a job or an operator's statement may do."""
    end = _booking(session, env).end_at + timedelta(minutes=30)
    session.execute(
        update(Booking)
        .where(Booking.host_id == env.host_id)
        .values(end_at=end)
        .execution_options(synchronize_session=False)
    )


def _add_channel(session: Session, env: SlotHost) -> None:
    session.add(
        WatchChannel(
            sync_id=env.sync_id,
            host_id=env.host_id,
            calendar_id="primary",
            channel_id="channel-1",
            token_hash="0" * 64,
            expiration=utcnow() + timedelta(days=7),
            state=ChannelState.ACTIVE,
            created_at=utcnow(),
        )
    )


def _channel(session: Session) -> WatchChannel:
    channel = session.scalar(select(WatchChannel))
    assert channel is not None
    return channel


def _add_block(session: Session, env: SlotHost) -> None:
    start = utcnow() + timedelta(days=2)
    session.add(BusyBlock(sync_id=env.sync_id, event_id="evt1", start_at=start, end_at=start))


def _host(session: Session, env: SlotHost) -> Host:
    host = session.get(Host, env.host_id)
    assert host is not None
    return host


def _connection(session: Session, env: SlotHost) -> GoogleConnection:
    connection = session.scalar(
        select(GoogleConnection).where(GoogleConnection.host_id == env.host_id)
    )
    assert connection is not None
    return connection


def _sync(session: Session, env: SlotHost) -> CalendarSync:
    sync = session.get(CalendarSync, env.sync_id)
    assert sync is not None
    return sync


# (what happens, the write, whether a slot page could see it), in an order that works.
WRITES: list[tuple[str, Write, bool]] = [
    ("paid -> scheduled", _set_status(BookingStatus.SCHEDULED), False),
    (
        "the event's id and link recorded",
        lambda s, e: setattr(_booking(s, e), "google_event_id", "evt"),
        False,
    ),
    ("a bulk UPDATE lengthening the booking", _lengthen_in_bulk, True),
    ("scheduled -> cancelled", _set_status(BookingStatus.CANCELLED), True),
    (
        "the booking deleted",
        lambda s, e: s.execute(delete(Booking).where(Booking.host_id == e.host_id)),
        True,
    ),
    (
        "the type's notice changed",
        lambda s, e: s.execute(
            update(BookingType)
            .where(BookingType.id == e.booking_type_id)
            .values(min_notice_minutes=30)
        ),
        True,
    ),
    (
        "the hours changed",
        lambda s, e: s.execute(
            update(Schedule)
            .where(Schedule.host_id == e.host_id)
            .values(overrides={e.day.isoformat(): []})
        ),
        True,
    ),
    ("the host's zone", lambda s, e: setattr(_host(s, e), "timezone", "Europe/Berlin"), True),
    ("the host's name", lambda s, e: setattr(_host(s, e), "name", "Renamed"), False),
    (
        "a token refresh",
        lambda s, e: setattr(_connection(s, e), "token_ciphertext", b"refreshed"),
        False,
    ),
    (
        "the connection needs re-consent",
        lambda s, e: setattr(_connection(s, e), "status", ConnectionStatus.NEEDS_REAUTH),
        True,
    ),
    ("a sync started", lambda s, e: setattr(_sync(s, e), "sync_round", 7), False),
    ("a sync finished", lambda s, e: setattr(_sync(s, e), "last_synced_at", utcnow()), True),
    ("a push channel opened", _add_channel, True),
    ("a push message counted", lambda s, e: setattr(_channel(s), "last_message_number", 3), False),
    ("the channel stopped", lambda s, e: setattr(_channel(s), "state", ChannelState.STOPPED), True),
    ("a busy event mirrored", _add_block, True),
    ("a busy event removed", lambda s, e: s.execute(delete(BusyBlock)), True),
]


def test_every_write_a_slot_page_could_see_bumps_the_version_and_no_other(
    slot_host: SlotHost,
) -> None:
    env = slot_host
    before = env.version()
    env.hold(env.starts()[0])
    assert env.version() > before, "a hold"
    with unit_of_work(env.services.session_factory) as session:
        _set_status(BookingStatus.PAID)(session, env)
    for what, write, visible in WRITES:
        before = env.version()
        with unit_of_work(env.services.session_factory) as session:
            write(session, env)
        assert (env.version() > before) is visible, what


def test_a_new_host_gets_a_version_and_loses_it_with_the_host(slot_host: SlotHost) -> None:
    factory = slot_host.services.session_factory
    with unit_of_work(factory) as session:
        host = Host(email="new@example.com", name="New", slug="new", password_hash="x")
        session.add(host)
        session.flush()
        host_id = host.id
    with factory() as session:
        assert session.get(AvailabilityVersion, host_id) is not None
    with unit_of_work(factory) as session:
        session.execute(delete(Host).where(Host.id == host_id))
    with factory() as session:
        assert session.get(AvailabilityVersion, host_id) is None
