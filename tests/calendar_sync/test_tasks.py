"""The sync job itself: an interrupted sync resumes, a 410 resyncs, one sync at a time."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from leadscalendar.calendar_sync import repository, service
from leadscalendar.calendar_sync.job_kinds import SYNC
from leadscalendar.calendar_sync.park_codes import SyncParkCode
from leadscalendar.calendar_sync.tasks import SyncDependencies, sync_calendar
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google import repository as google_repository
from leadscalendar.google.events import BOOKING_ID_PROPERTY
from leadscalendar.jobs import JobContext, Park, Retry, Succeeded
from leadscalendar.jobs.lifecycle import claim_due
from tests.calendar_sync.sync_env import (
    blocks,
    event_body,
    host_calendar,
    primary_sync_id,
    syncs,
    wait_for_block,
)
from tests.google.test_errors import google_body, http_error
from tests.support.bookings_env import BookingsEnv, wait_until

PAGE = 2


@pytest.fixture
def sync_overrides() -> dict[str, object]:
    # Small pages, so a handful of events is a sync of several pages.
    return {"calendar_push": "off", "calendar_poll_seconds": 0.2, "calendar_sync_page_size": PAGE}


class _CrashError(BaseException):
    """The worker process dying: nothing in the handler may catch it."""


class _Crashing:
    """The real client of the host, except that one events.list call kills the process."""

    def __init__(self, real: Any, crash_on: int) -> None:
        self._real = real
        self._crash_on = crash_on
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def list_events_page(self, calendar_id: str, query: Any) -> Any:
        self.calls += 1
        if self.calls == self._crash_on:
            raise _CrashError()
        return self._real.list_events_page(calendar_id, query)


class _Clients:
    def __init__(self, env: BookingsEnv, client: Any) -> None:
        self._env, self._client = env, client

    def for_host(self, host_id: uuid.UUID) -> Any:
        return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env.services.calendars, name)


class _Followed:
    def __init__(self) -> None:
        self.seen: list[tuple[uuid.UUID, str]] = []

    def __call__(
        self, session: Session, *, booking_id: uuid.UUID, event: Mapping[str, Any], now: datetime
    ) -> None:
        self.seen.append((booking_id, str(event.get("status"))))


def _at(days: int, hour: int) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _first_sync(env: BookingsEnv) -> None:
    with env.worker():
        wait_until(lambda: any(s.last_synced_at for s in syncs(env)), what="a first sync")
    with unit_of_work(env.services.session_factory) as session:
        for sync in repository.all_syncs(session):
            sync.running_job_id = sync.running_until = None


def _claimed_sync(env: BookingsEnv) -> JobContext:
    with unit_of_work(env.services.session_factory) as session:
        sync = repository.get_sync(session, primary_sync_id(env))
        assert sync is not None
        service.request_sync(session, sync)
    # A sync the polling clock queued may be waiting out a short retry: due "soon" counts.
    soon = utcnow() + timedelta(seconds=10)
    claims = claim_due(env.services.session_factory, "test", 1, 30.0, kinds=[SYNC], now=soon)
    assert len(claims) == 1
    return JobContext(claims[0], env.services.session_factory, 30.0)


def _list_calls(env: BookingsEnv) -> int:
    return int(env.stats()["calls"].get("events.list", 0))


def test_an_interrupted_sync_resumes_from_its_page_without_losing_or_doubling(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    _first_sync(env)
    bookings = [uuid.uuid4(), uuid.uuid4()]
    created = []
    with host_calendar(env) as events:
        for number in range(5):
            extra: dict[str, Any] = {}
            if number < len(bookings):
                private = {BOOKING_ID_PROPERTY: str(bookings[number])}
                extra["extendedProperties"] = {"private": private}
            body = event_body(_at(3 + number, 9), _at(3 + number, 10), **extra)
            created.append(events.insert(calendarId="primary", body=body).execute()["id"])
    ctx = _claimed_sync(env)
    followed = _Followed()
    real = env.services.calendars.for_host(env.host_id)
    crashing = _Crashing(real, crash_on=2)
    deps = SyncDependencies(env.settings, _Clients(env, crashing), followed)  # type: ignore[arg-type]
    before = _list_calls(env)

    with pytest.raises(_CrashError):
        sync_calendar(ctx, deps)
    [stored] = syncs(env)
    assert stored.page_token is not None and len(blocks(env)) == PAGE

    resumed = sync_calendar(ctx, SyncDependencies(env.settings, env.services.calendars, followed))

    assert isinstance(resumed, Succeeded)
    assert set(blocks(env)) == set(created)
    # Page 1 before the crash, then pages 2 and 3: page 1 was not asked for again.
    assert _list_calls(env) - before == 3
    assert sorted(booking for booking, _ in followed.seen) == sorted(bookings)
    [done] = syncs(env)
    assert done.page_token is None and done.running_job_id is None and done.sync_token


def test_an_expired_sync_token_means_a_full_resync(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    _first_sync(env)
    token_before = syncs(env)[0].sync_token
    start, end = _at(5, 11), _at(5, 12)
    with host_calendar(env) as events:
        created = events.insert(calendarId="primary", body=event_body(start, end)).execute()
    env.sandbox.expire_sync_tokens(env.calendar_id)

    with env.worker():
        wait_for_block(env, created["id"], (start, end))
    assert env.stats()["errors"]["by_status"].get("410", 0) >= 1
    assert syncs(env)[0].sync_token not in (None, token_before)


def test_a_second_sync_waits_while_one_runs(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    _first_sync(env)
    with unit_of_work(env.services.session_factory) as session:
        sync = repository.get_sync(session, primary_sync_id(env))
        assert sync is not None
        sync.running_job_id = uuid.uuid4()
        sync.running_until = utcnow() + timedelta(seconds=30)
    ctx = _claimed_sync(env)
    before = _list_calls(env)

    outcome = sync_calendar(
        ctx, SyncDependencies(env.settings, env.services.calendars, _Followed())
    )

    assert isinstance(outcome, Retry) and outcome.transient
    assert _list_calls(env) == before


def test_a_host_disconnecting_mid_sync_stops_it(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    _first_sync(env)
    with host_calendar(env) as events:
        for number in range(3):
            body = event_body(_at(3 + number, 9), _at(3 + number, 10))
            events.insert(calendarId="primary", body=body).execute()
    ctx = _claimed_sync(env)
    real = env.services.calendars.for_host(env.host_id)

    class _DisconnectAfterFirstPage(_Crashing):
        def list_events_page(self, calendar_id: str, query: Any) -> Any:
            page = self._real.list_events_page(calendar_id, query)
            with unit_of_work(env.services.session_factory) as session:
                connection = google_repository.get_connection(session, env.host_id)
                session.delete(connection)
            return page

    deps = SyncDependencies(
        env.settings,
        _Clients(env, _DisconnectAfterFirstPage(real, 0)),
        _Followed(),  # type: ignore[arg-type]
    )
    outcome = sync_calendar(ctx, deps)

    assert isinstance(outcome, Succeeded) and "no longer synced" in outcome.detail
    assert syncs(env) == [] and blocks(env) == {}


class _Failing(_Crashing):
    """The host's client, except that events.list answers with ``error``."""

    def __init__(self, real: Any, error: Exception) -> None:
        super().__init__(real, crash_on=0)
        self._error = error

    def list_events_page(self, calendar_id: str, query: Any) -> Any:
        raise self._error


@pytest.mark.parametrize(
    ("status", "reason", "parks"), [(404, "notFound", True), (503, "backendError", False)]
)
def test_a_failed_listing_releases_the_calendar_and_parks_or_retries_by_google_s_answer(
    bookings_env: BookingsEnv, status: int, reason: str, parks: bool
) -> None:
    env = bookings_env
    _first_sync(env)
    ctx = _claimed_sync(env)
    real = env.services.calendars.for_host(env.host_id)
    error = http_error(status, google_body(status, reason, f"Google said {reason}"))
    clients = _Clients(env, _Failing(real, error))
    deps = SyncDependencies(env.settings, clients, _Followed())  # type: ignore[arg-type]

    outcome = sync_calendar(ctx, deps)

    if parks:
        assert isinstance(outcome, Park) and outcome.code is SyncParkCode.SYNC_REFUSED
    else:
        assert isinstance(outcome, Retry) and outcome.transient
    assert (outcome.http_status, outcome.reason_code, outcome.operation) == (
        status,
        reason,
        "events.list",
    )
    [sync] = [s for s in syncs(env) if s.id == primary_sync_id(env)]
    assert sync.running_job_id is None, "the calendar is free for the next sync"
    assert sync.last_error
