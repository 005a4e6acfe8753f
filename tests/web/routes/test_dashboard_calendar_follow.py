"""The host's move setting and their decisions on bookings changed in Google, over real HTTP."""

from __future__ import annotations

import html
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from leadscalendar.accounts.models import CalendarMovePolicy
from leadscalendar.bookings.job_kinds import REFUND_PAYMENT
from leadscalendar.bookings.models import CalendarChange
from leadscalendar.config import Settings
from tests.support.bookings_env import BookingsEnv, engine_settings
from tests.support.calendar_follow import (
    current_event,
    deliver,
    host_deletes,
    host_moves,
    job_kinds,
    timeline_kinds,
)
from tests.support.dashboard import host_by_slug, other_host, submit
from tests.support.google_sandbox import GoogleSandbox

SETTING = "/dashboard/calendar-follow"


@pytest.fixture
def app_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    """For ``bookings_env``: a worker with fast polling and backoff."""
    return engine_settings(
        google_sandbox, database_url=database_url, data_dir=tmp_path, app_port=app_port
    )


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing: None) -> None:
    """Every test here logs a host in."""


def _scheduled(env: BookingsEnv, *, paid: bool = False) -> uuid.UUID:
    (booking_id,) = env.book(paid=paid)
    env.drain()
    return booking_id


def _page(booking_id: uuid.UUID) -> str:
    return f"/dashboard/bookings/{booking_id}"


def test_the_move_setting_defaults_to_asking_and_can_be_changed(
    bookings_env: BookingsEnv,
) -> None:
    client = bookings_env.app.client
    home = client.get("/dashboard")
    assert 'id="calendar-follow-form"' in home.text
    assert 'value="ask" checked' in home.text
    assert host_by_slug(bookings_env.services).calendar_move_policy is CalendarMovePolicy.ASK

    saved = submit(client, "/dashboard", SETTING, {"policy": "follow"}, follow=True)
    assert "the booking follows" in saved.text
    assert 'value="follow" checked' in saved.text
    assert host_by_slug(bookings_env.services).calendar_move_policy is CalendarMovePolicy.FOLLOW

    refused = submit(client, "/dashboard", SETTING, {"policy": "sometimes"})
    assert refused.status_code == 400
    assert "follow or ask" in refused.text
    no_csrf = client.post(SETTING, data={"policy": "ask"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    assert host_by_slug(bookings_env.services).calendar_move_policy is CalendarMovePolicy.FOLLOW


def test_accepting_a_moved_event_from_the_booking_page(bookings_env: BookingsEnv) -> None:
    env, client = bookings_env, bookings_env.app.client
    booking_id = _scheduled(env)
    new_start = host_moves(env, booking_id, timedelta(hours=2))
    deliver(env, booking_id)

    home = client.get("/dashboard")
    assert 'id="calendar-changes-banner"' in home.text
    assert f'href="{_page(booking_id)}"' in home.text
    page = client.get(_page(booking_id))
    assert 'id="calendar-change"' in page.text and 'id="accept-new-time"' in page.text

    action = f"{_page(booking_id)}/calendar-change"
    accepted = submit(client, _page(booking_id), action, {"decision": "accept"}, follow=True)
    assert "now has the new time" in accepted.text
    assert 'id="calendar-change"' not in accepted.text
    booking = env.booking(booking_id)
    assert booking.start_at == new_start and booking.calendar_change is None

    again = submit(client, _page(booking_id), action, {"decision": "accept"}, follow=True)
    assert "no change in Google Calendar waiting" in html.unescape(again.text)
    assert timeline_kinds(env, booking_id).count("calendar_change_accepted") == 1
    assert 'id="calendar-changes-banner"' not in client.get("/dashboard").text


def test_a_deleted_event_restored_or_the_booking_cancelled(bookings_env: BookingsEnv) -> None:
    env, client = bookings_env, bookings_env.app.client
    env.update_type(price_minor=5000)
    restored_id, cancelled_id = _scheduled(env, paid=True), _scheduled(env, paid=True)
    for booking_id in (restored_id, cancelled_id):
        host_deletes(env, booking_id)
        deliver(env, booking_id)
        page = client.get(_page(booking_id))
        assert 'id="restore-event"' in page.text and 'id="confirm-deletion"' in page.text

    wrong = submit(
        client, _page(restored_id), f"{_page(restored_id)}/calendar-change", {"decision": "accept"}
    )
    assert wrong.status_code == 303  # the question is about a deletion: refused, shown
    assert env.booking(restored_id).calendar_change is CalendarChange.DELETED
    restored = submit(
        client,
        _page(restored_id),
        f"{_page(restored_id)}/calendar-change",
        {"decision": "restore"},
        follow=True,
    )
    assert "put back on your Google Calendar" in restored.text
    env.drain()
    assert current_event(env, restored_id)["status"] == "confirmed"
    assert env.booking(restored_id).calendar_change is None

    cancelled = submit(
        client, f"{_page(cancelled_id)}/cancel", f"{_page(cancelled_id)}/cancel", follow=True
    )
    assert cancelled.status_code == 200
    booking = env.booking(cancelled_id)
    assert booking.status.value == "cancelled" and booking.calendar_change is None
    assert REFUND_PAYMENT in job_kinds(env, cancelled_id)
    assert REFUND_PAYMENT not in job_kinds(env, restored_id)
    assert "calendar_deletion_confirmed" in timeline_kinds(env, cancelled_id)


def test_another_host_cannot_decide(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    booking_id = _scheduled(env)
    host_deletes(env, booking_id)
    deliver(env, booking_id)
    with other_host(env.services, env.app.url) as other:
        response = submit(
            other, "/dashboard", f"{_page(booking_id)}/calendar-change", {"decision": "restore"}
        )
        assert response.status_code == 404
        bogus = submit(
            other, "/dashboard", f"{_page(booking_id)}/calendar-change", {"decision": "shrug"}
        )
        assert bogus.status_code == 400
    assert env.booking(booking_id).calendar_change is CalendarChange.DELETED
