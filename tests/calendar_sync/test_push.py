"""Push mode: Google's notifications reach /webhooks/google/calendar and sync the mirror."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadscalendar.calendar_sync.models import ChannelState, SyncMode
from tests.calendar_sync.sync_env import channels, event_body, host_calendar, syncs, wait_for_block
from tests.support.app_env import HOST_PASSWORD, csrf_from
from tests.support.bookings_env import BookingsEnv, wait_until

# The polling clock runs hourly here: whatever reaches the mirror came by push.
DELETE_ACCOUNT = "/dashboard/account/delete"
PUSH = {"calendar_push": "on", "calendar_poll_seconds": 3600.0}


def _at(days: int, hour: int) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _watched(env: BookingsEnv) -> bool:
    return bool(channels(env)) and any(s.last_synced_at for s in syncs(env))


@pytest.fixture
def sync_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    extra: dict[str, object] = getattr(request, "param", {})
    return PUSH | extra


def test_a_host_change_and_deletion_reach_the_mirror_by_push(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    start, end = _at(3, 9), _at(3, 10)
    with env.worker(), host_calendar(env) as events:
        wait_until(lambda: _watched(env), what="a channel and a first sync")
        [sync] = syncs(env)
        [channel] = channels(env)
        assert sync.mode is SyncMode.PUSH and channel.state is ChannelState.ACTIVE
        [at_google] = env.sandbox.channels()
        assert at_google["id"] == channel.channel_id and at_google["live"]
        assert at_google["address"].endswith("/webhooks/google/calendar")

        created = events.insert(calendarId="primary", body=event_body(start, end)).execute()
        wait_for_block(env, created["id"], (start, end))
        events.delete(calendarId="primary", eventId=created["id"]).execute()
        wait_for_block(env, created["id"], None)

        page = env.app.client.get("/dashboard")
    assert "push notifications" in page.text and 'id="calendar-sync"' in page.text
    deliveries = env.sandbox.channels()[0]["deliveries"]
    assert len(deliveries) >= 3  # sync, then one exists per change


@pytest.mark.parametrize(
    "sync_overrides",
    [{"calendar_channel_ttl_seconds": 61, "calendar_channel_renew_margin_seconds": 59}],
    indirect=True,
)
def test_a_channel_is_renewed_before_it_expires(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    start, end = _at(4, 9), _at(4, 10)
    with env.worker(), host_calendar(env) as events:
        wait_until(lambda: len(channels(env)) >= 2, what="the renewed channel")
        found = channels(env)
        old, new = found[0], found[-1]
        assert old.state is ChannelState.STOPPED and new.state is ChannelState.ACTIVE
        assert old.expiration > datetime.now(UTC)  # replaced before Google let it lapse
        at_google = {c["id"]: c for c in env.sandbox.channels()}
        assert at_google[old.channel_id]["stopped"] and at_google[new.channel_id]["live"]

        created = events.insert(calendarId="primary", body=event_body(start, end)).execute()
        wait_for_block(env, created["id"], (start, end))


def test_disconnecting_stops_the_channels_at_google(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    with env.worker():
        wait_until(lambda: _watched(env), what="a channel and a first sync")
    [channel] = channels(env)
    page = env.app.client.get("/dashboard/google/disconnect")
    answer = env.app.client.post(
        "/dashboard/google/disconnect", data={"csrf_token": csrf_from(page.text)}
    )
    assert answer.status_code == 200
    [at_google] = env.sandbox.channels()
    assert at_google["id"] == channel.channel_id and at_google["stopped"]
    assert channels(env) == [] and syncs(env) == []


def test_deleting_the_account_stops_the_channels_before_revoking(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    with env.worker():
        wait_until(lambda: _watched(env), what="a channel and a first sync")
        page = env.app.client.get(DELETE_ACCOUNT)
        answer = env.app.client.post(
            DELETE_ACCOUNT,
            data={"current_password": HOST_PASSWORD, "csrf_token": csrf_from(page.text)},
        )
        assert answer.status_code == 200
        wait_until(lambda: syncs(env) == [], what="the grant revoked and the rows gone")
    [at_google] = env.sandbox.channels()
    assert at_google["stopped"]


def _pick(env: BookingsEnv, busy: list[str]) -> None:
    picker = env.app.client.get("/dashboard/google/calendar")
    answer = env.app.client.post(
        "/dashboard/google/calendar",
        data={"csrf_token": csrf_from(picker.text), "calendar_id": env.calendar_id, "busy": busy},
    )
    assert answer.status_code == 200, answer.text


def test_a_calendar_change_watches_owned_calendars_and_stops_dropped_ones(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    listed = env.sandbox.control("GET", "calendars")["calendars"]
    roles = {c["access_role"]: c["id"] for c in listed if c["id"] != env.calendar_id}
    with env.worker():
        wait_until(lambda: _watched(env), what="the primary watched")
        _pick(env, [roles["owner"], roles["reader"]])
        wait_until(lambda: len(syncs(env)) == 2 and len(channels(env)) == 2, what="two watched")
        # Shared read-only, so events.owned cannot list it: it stays on free/busy.
        assert sorted(s.calendar_id for s in syncs(env)) == sorted(["primary", roles["owner"]])
        [secondary] = [c for c in channels(env) if c.calendar_id == roles["owner"]]

        _pick(env, [])
        wait_until(lambda: len(syncs(env)) == 1, what="the dropped calendar unwatched")
    at_google = {c["id"]: c for c in env.sandbox.channels()}
    assert at_google[secondary.channel_id]["stopped"]
    assert [c.calendar_id for c in channels(env)] == ["primary"]
