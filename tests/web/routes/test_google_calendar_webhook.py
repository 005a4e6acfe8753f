"""POST /webhooks/google/calendar: only a verified, new "exists" queues a sync, and only one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from leadscalendar.calendar_sync import repository
from leadscalendar.calendar_sync.job_kinds import SYNC
from leadscalendar.calendar_sync.models import ChannelState, SyncMode, WatchChannel
from leadscalendar.calendar_sync.planning import new_sync_row
from leadscalendar.calendar_sync.service import token_digest
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google import repository as google_repository
from leadscalendar.jobs import Job, JobStatus
from tests.support.bookings_env import BookingsEnv

PATH = "/webhooks/google/calendar"
TOKEN = "the-secret-token-we-gave-google"
RESOURCE = "resource-primary"


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing: None) -> None:
    """Every test here logs a host in."""


@pytest.fixture
def channel_id(bookings_env: BookingsEnv) -> str:
    """A watched primary calendar with one live channel (rows as the reconcile job writes)."""
    env = bookings_env
    with unit_of_work(env.services.session_factory) as session:
        connection = google_repository.get_connection(session, env.host_id)
        assert connection is not None
        sync = new_sync_row(connection.id, env.host_id, "primary", SyncMode.PUSH)
        session.add(sync)
        session.flush()
        channel = WatchChannel(
            sync_id=sync.id,
            host_id=env.host_id,
            calendar_id="primary",
            channel_id=str(uuid.uuid4()),
            token_hash=token_digest(TOKEN),
            resource_id=RESOURCE,
            expiration=utcnow() + timedelta(days=7),
            state=ChannelState.ACTIVE,
            last_message_number=0,
            created_at=utcnow(),
        )
        session.add(channel)
        return channel.channel_id


def _notify(
    env: BookingsEnv,
    channel_id: str,
    number: int,
    *,
    state: str = "exists",
    token: str = TOKEN,
    resource: str = RESOURCE,
) -> None:
    answer = env.app.client.post(
        PATH,
        headers={
            "X-Goog-Channel-ID": channel_id,
            "X-Goog-Channel-Token": token,
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(number),
            "X-Goog-Resource-ID": resource,
            "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/primary/events",
        },
    )
    assert answer.status_code == 200 and answer.content == b""


def _queued_syncs(env: BookingsEnv) -> int:
    with env.services.session_factory() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.kind == SYNC, Job.status == JobStatus.QUEUED)
        )
        return int(count or 0)


def _last_number(env: BookingsEnv, channel_id: str) -> int:
    with env.services.session_factory() as session:
        channel = repository.channel_by_channel_id(session, channel_id)
        assert channel is not None
        return channel.last_message_number


def _start_sync_round(env: BookingsEnv) -> None:
    """What a sync does when it starts: later notifications queue the next one."""
    with unit_of_work(env.services.session_factory) as session:
        for sync in repository.all_syncs(session):
            sync.sync_round += 1
        session.execute(
            Job.__table__.update().where(Job.kind == SYNC).values(status=JobStatus.SUCCEEDED)
        )


def test_sync_message_is_acknowledged_and_exists_queues_one_sync(
    bookings_env: BookingsEnv, channel_id: str
) -> None:
    _notify(bookings_env, channel_id, 1, state="sync")
    assert _queued_syncs(bookings_env) == 0 and _last_number(bookings_env, channel_id) == 1
    _notify(bookings_env, channel_id, 2)
    assert _queued_syncs(bookings_env) == 1


def test_a_storm_queues_one_sync_at_a_time(bookings_env: BookingsEnv, channel_id: str) -> None:
    for number in range(1, 31):
        _notify(bookings_env, channel_id, number)
    assert _queued_syncs(bookings_env) == 1
    assert _last_number(bookings_env, channel_id) == 30


@pytest.mark.parametrize(
    "forgery",
    [
        {"token": "a-guessed-token"},
        {"token": ""},
        {"resource": "someone-elses-resource"},
    ],
)
def test_forged_notifications_change_nothing(
    bookings_env: BookingsEnv, channel_id: str, forgery: dict[str, str]
) -> None:
    _notify(bookings_env, channel_id, 7, **forgery)
    assert _queued_syncs(bookings_env) == 0 and _last_number(bookings_env, channel_id) == 0


def test_unknown_channel_is_answered_and_ignored(
    bookings_env: BookingsEnv, channel_id: str
) -> None:
    _notify(bookings_env, str(uuid.uuid4()), 2)
    answer = bookings_env.app.client.post(PATH)  # no headers at all
    assert answer.status_code == 200
    assert _queued_syncs(bookings_env) == 0


def test_a_replayed_message_number_changes_nothing(
    bookings_env: BookingsEnv, channel_id: str
) -> None:
    _notify(bookings_env, channel_id, 5)
    _start_sync_round(bookings_env)
    _notify(bookings_env, channel_id, 5)
    _notify(bookings_env, channel_id, 4)
    assert _queued_syncs(bookings_env) == 0
    _notify(bookings_env, channel_id, 6)
    assert _queued_syncs(bookings_env) == 1


def test_a_stopped_or_expired_channel_is_stale(bookings_env: BookingsEnv, channel_id: str) -> None:
    with unit_of_work(bookings_env.services.session_factory) as session:
        channel = repository.channel_by_channel_id(session, channel_id)
        assert channel is not None
        channel.state = ChannelState.STOPPED
    _notify(bookings_env, channel_id, 2)
    assert _queued_syncs(bookings_env) == 0 and _last_number(bookings_env, channel_id) == 0
