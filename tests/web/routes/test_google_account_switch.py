"""Reconnecting as another Google account, over real HTTP against the Google sandbox: the
switch is announced first, upcoming events move to the new account and leave the old one,
and an event the old account no longer lets us remove is listed, never called gone."""

from __future__ import annotations

import html
import re
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from leadscalendar.bookings.models import BookingEvent, CalendarMove, MoveStatus
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.config import Settings
from leadscalendar.google.models import RetiredGrant
from tests.support.app_env import csrf_from
from tests.support.bookings_env import BookingsEnv, engine_settings
from tests.support.google_sandbox import GoogleSandbox

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

NEW_ACCOUNT = "new-account@sandbox.test"
MOVES = "/dashboard/google/moves"


@pytest.fixture
def app_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    return engine_settings(
        google_sandbox, database_url=database_url, data_dir=tmp_path, app_port=app_port
    )


def reconnect_as(env: BookingsEnv, account: str) -> httpx.Response:
    """Through the announcement page, to Google's consent page as ``account``, and back."""
    page = env.app.client.get("/dashboard/google/reconnect")
    assert page.status_code == 200, page.text
    consent = env.app.client.post(
        "/dashboard/google/connect",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert consent.status_code == 303, consent.text
    callback = env.sandbox.consent(consent.headers["location"], account_email=account)
    return env.app.client.get(callback)


def scheduled(env: BookingsEnv, count: int) -> list[uuid.UUID]:
    ids = env.book(count)
    env.drain()
    for booking_id in ids:
        assert env.booking(booking_id).status is BookingStatus.SCHEDULED
        assert len(env.events_of(booking_id)) == 1
    return ids


def live(events: list[dict[str, object]]) -> list[dict[str, object]]:
    return [event for event in events if event.get("status") != "cancelled"]


def moves(env: BookingsEnv) -> list[CalendarMove]:
    with env.services.session_factory() as session:
        return list(session.scalars(select(CalendarMove)))


def test_the_reconnect_page_names_the_connected_account_and_what_another_one_means(
    bookings_env: BookingsEnv,
) -> None:
    scheduled(bookings_env, 2)
    page = bookings_env.app.client.get("/dashboard/google/reconnect")
    text = re.sub(r"\s+", " ", html.unescape(page.text))
    assert "You are connected as host@sandbox.test" in text
    assert "your 2 upcoming bookings' events move to that account's calendar" in text
    assert 'action="/dashboard/google/connect"' in page.text
    assert 'href="/dashboard/google/reconnect"' in bookings_env.app.client.get("/dashboard").text


def test_switching_accounts_moves_upcoming_events_to_the_new_calendar_and_off_the_old(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    booking_ids = scheduled(env, 2)
    landed = reconnect_as(env, NEW_ACCOUNT)
    assert landed.url.path == MOVES
    assert "now connected as new-account@sandbox.test instead of host@sandbox.test" in landed.text
    assert env.connection().google_email == NEW_ACCOUNT
    assert env.connection().calendar_id == "primary"
    env.drain()

    for booking_id in booking_ids:
        booking = env.booking(booking_id)
        assert booking.status is BookingStatus.SCHEDULED
        assert booking.google_calendar_id == "primary"  # the new account's, now
        assert len(live(env.events_of_calendar(NEW_ACCOUNT, booking.id))) == 1
        # The old event is cancelled at Google (deleted with the old account's grant).
        assert live(env.events_of(booking.id)) == []
    assert {move.status for move in moves(env)} == {MoveStatus.MOVED}
    with env.services.session_factory() as session:
        (retired,) = session.scalars(select(RetiredGrant)).all()
        assert retired.google_email == "host@sandbox.test"
        assert retired.token_ciphertext is None  # forgotten once every move finished
    listing = env.app.client.get(MOVES).text
    assert listing.count('class="move-moved"') == 2


def test_an_event_the_old_account_no_longer_lets_us_remove_is_listed_as_left_behind(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    (booking_id,) = scheduled(env, 1)
    env.sandbox.control("POST", "grants/revoke-all")
    reconnect_as(env, NEW_ACCOUNT)
    env.drain()

    booking = env.booking(booking_id)
    assert len(live(env.events_of_calendar(NEW_ACCOUNT, booking.id))) == 1
    # Still on the old calendar, and said so: never a silent "already gone".
    assert len(live(env.events_of(booking.id))) == 1
    (move,) = moves(env)
    assert move.status is MoveStatus.LEFT_BEHIND
    listing = env.app.client.get(MOVES).text
    assert 'class="move-left_behind"' in listing
    assert "no longer lets LeadsCalendar in" in listing
    with env.services.session_factory() as session:
        kinds = session.scalars(
            select(BookingEvent.kind).where(BookingEvent.booking_id == booking.id)
        ).all()
    assert "calendar_event_left_behind" in kinds


def test_a_booking_cancelled_while_its_event_moves_leaves_no_event_on_either_account(
    bookings_env: BookingsEnv,
) -> None:
    from leadscalendar.bookings import changes

    env = bookings_env
    (booking_id,) = scheduled(env, 1)
    reconnect_as(env, NEW_ACCOUNT)
    env.cancel(booking_id, changes.CancelledBy.HOST)
    env.drain()
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.CANCELLED
    assert live(env.events_of(booking.id)) == []
    assert live(env.events_of_calendar(NEW_ACCOUNT, booking.id)) == []
    (move,) = moves(env)
    assert move.status is MoveStatus.MOVED


def test_reconnecting_as_the_same_account_moves_nothing(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    (booking_id,) = scheduled(env, 1)
    page = reconnect_as(env, "host@sandbox.test")
    assert page.url.path == "/dashboard"
    env.drain()
    assert moves(env) == []
    assert len(live(env.events_of(booking_id))) == 1
