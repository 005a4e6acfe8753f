"""Deleting a host's account from the dashboard, with Google connected for real (sandbox):
refused while a booking is owed; otherwise sessions end, the pages go, the grant is revoked
at Google by a job, and past bookings stay."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import update

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google import repository as google_repository
from leadscalendar.google.tasks import REVOKE_GRANT
from leadscalendar.jobs import JobStatus
from tests.support.app_env import HOST_EMAIL, HOST_PASSWORD, csrf_from
from tests.support.bookings_env import BookingsEnv

DELETE = "/dashboard/account/delete"


def delete_account(client: httpx.Client, password: str = HOST_PASSWORD) -> httpx.Response:
    page = client.get(DELETE)
    assert page.status_code == 200
    return client.post(
        DELETE, data={"current_password": password, "csrf_token": csrf_from(page.text)}
    )


def host(env: BookingsEnv) -> Host:
    with env.services.session_factory() as session:
        row = session.get(Host, env.host_id)
        assert row is not None
        session.expunge(row)
        return row


def refresh_token(env: BookingsEnv) -> str:
    with env.services.session_factory() as session:
        connection = google_repository.get_connection(session, env.host_id)
        assert connection is not None
        token = env.services.cipher.decrypt_tokens(connection.token_ciphertext).refresh_token
        assert token
        return token


def move_into_the_past(env: BookingsEnv, booking_id: uuid.UUID) -> None:
    with unit_of_work(env.services.session_factory) as session:
        start = utcnow() - timedelta(days=3)
        session.execute(
            update(Booking)
            .where(Booking.id == booking_id)
            .values(start_at=start, end_at=start + timedelta(minutes=30))
        )


def test_deletion_is_refused_while_an_upcoming_booking_is_owed(bookings_env: BookingsEnv) -> None:
    bookings_env.book(1)
    client = bookings_env.app.client
    page = client.get(DELETE)
    assert 'id="delete-blocked"' in page.text
    assert 'id="delete-form"' not in page.text
    refused = client.post(
        DELETE, data={"current_password": HOST_PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert "upcoming or unfinished booking" in refused.text
    assert host(bookings_env).deleted_at is None
    assert client.get("/dashboard", follow_redirects=False).status_code == 200


def test_a_wrong_password_deletes_nothing(bookings_env: BookingsEnv) -> None:
    answer = delete_account(bookings_env.app.client, password="not my password")
    assert "current password is not right" in answer.text
    assert host(bookings_env).email == HOST_EMAIL


def test_deleting_the_account_ends_sessions_takes_pages_down_and_revokes_google_by_a_job(
    bookings_env: BookingsEnv,
) -> None:
    (past,) = bookings_env.book(1)
    bookings_env.drain()
    move_into_the_past(bookings_env, past)
    grant = refresh_token(bookings_env)
    client = bookings_env.app.client
    assert client.get("/coach/intro").status_code == 200

    answer = delete_account(client)
    assert "Your account is deleted" in answer.text
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    assert client.get("/coach/intro").status_code == 404
    gone = host(bookings_env)
    assert gone.deleted_at is not None
    assert HOST_EMAIL not in gone.email and gone.name != "Coach"
    # The past booking and its host stay on record for its money flow.
    assert bookings_env.booking(past).host_id == gone.id
    with bookings_env.services.session_factory() as session:
        assert session.get(BookingType, bookings_env.booking_type_id).active is False  # type: ignore[union-attr]

    (job,) = bookings_env.jobs(REVOKE_GRANT)
    assert job.status == JobStatus.QUEUED
    bookings_env.drain()
    (job,) = bookings_env.jobs(REVOKE_GRANT)
    assert job.status == JobStatus.SUCCEEDED
    with bookings_env.services.session_factory() as session:
        assert google_repository.get_connection(session, bookings_env.host_id) is None
    # Google no longer knows the grant: revoking it again is "invalid token".
    again = httpx.post(bookings_env.settings.google_revoke_uri, data={"token": grant}, timeout=10)
    assert again.status_code == 400


def test_the_email_of_a_deleted_account_can_sign_up_again(bookings_env: BookingsEnv) -> None:
    delete_account(bookings_env.app.client)
    with httpx.Client(base_url=bookings_env.app.url, timeout=10) as browser:
        page = browser.get("/signup")
        answer = browser.post(
            "/signup",
            data={
                "name": "Coach Again",
                "email": HOST_EMAIL,
                "password": HOST_PASSWORD,
                "slug": "coach",
                "timezone": "UTC",
                "csrf_token": csrf_from(page.text),
            },
        )
    assert answer.status_code == 200, answer.text
    assert "Check your inbox" in answer.text
