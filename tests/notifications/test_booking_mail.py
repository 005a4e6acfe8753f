"""The whole product on loopback, with a real SMTP server: who gets which mail, and once.

Each scenario runs its cause twice and counts the mails that arrive.
"""

from __future__ import annotations

import logging
import time
import uuid
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from leadscalendar.bookings.changes import CancelledBy, cancel
from leadscalendar.bookings.service import get_booking, record_refund
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.models import GoogleConnection
from leadscalendar.jobs import Job, JobStatus, retry_job
from leadscalendar.notifications import SEND_EMAIL
from tests.notifications.conftest import MAIL_FROM
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import LEAD, BookingEnv, wait_for
from tests.support.mail_server import MailServer, text_of


def confirmed_booking(env: BookingEnv) -> tuple[str, str, str]:
    """Hold the first free paid slot and confirm it: (booking id, token, checkout url)."""
    held = env.hold("session", env.first_slot("session"))
    assert held.status_code == 201, held.text
    booking_id, token = held.json()["id"], held.json()["token"]
    confirmed = env.lead.post(
        f"/api/v1/public/bookings/{booking_id}/confirm", params={"token": token}
    )
    assert confirmed.status_code == 200, confirmed.text
    return booking_id, token, confirmed.json()["checkout_url"]


def mails_to(server: MailServer, address: str) -> list[EmailMessage]:
    return [m for m in server.inbox.received() if m["To"].addresses[0].addr_spec == address]


def mails_with(server: MailServer, address: str, word: str) -> list[EmailMessage]:
    """The mails to ``address`` whose subject says ``word``: one kind of message."""
    return [m for m in mails_to(server, address) if word.lower() in str(m["Subject"]).lower()]


def wait_mail(server: MailServer, address: str, word: str) -> EmailMessage:
    found = wait_for(lambda: mails_with(server, address, word), what=f"a '{word}' mail")
    return found[0]


def mail_jobs(env: BookingEnv) -> list[Job]:
    with env.services.session_factory() as session:
        return list(session.scalars(select(Job).where(Job.kind == SEND_EMAIL)))


def settled(env: BookingEnv) -> None:
    """Wait until no mail job is queued or running, then a little more for stragglers."""
    wait_for(
        lambda: all(
            job.status in (JobStatus.SUCCEEDED, JobStatus.PARKED) for job in mail_jobs(env)
        ),
        what="mail jobs settled",
    )
    time.sleep(0.3)


def parked_job(env: BookingEnv, booking_id: str) -> Job | None:
    with env.services.session_factory() as session:
        return session.scalar(
            select(Job).where(Job.subject_key == booking_id, Job.status == JobStatus.PARKED)
        )


def secrets_of(env: BookingEnv) -> list[str]:
    settings = env.services.settings
    with env.services.session_factory() as session:
        connection = session.scalars(select(GoogleConnection)).one()
        tokens = env.services.cipher.decrypt_tokens(connection.token_ciphertext)
    values = [tokens.access_token, tokens.refresh_token or "", settings.google_client_secret]
    values += [settings.secret_key, settings.stripe_api_key, settings.stripe_webhook_secret]
    values += settings.token_keys
    return [value for value in values if value]


def assert_nothing_secret(
    env: BookingEnv, server: MailServer, caplog: pytest.LogCaptureFixture, booking_token: str
) -> None:
    """No credential in any mail or log line (DEBUG included); no booking link token either.

    The lead's booking token is checked against INFO and above only: the
    Stripe SDK's own DEBUG lines echo the checkout request, return URLs included.
    Only the lead's own mails carry it (their manage link), never the host's.
    """
    mails = "".join(m.as_string() for m in server.inbox.received())
    for secret in secrets_of(env):
        assert secret not in mails
        assert secret not in caplog.text
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    not_lead = [m for m in server.inbox.received() if m not in mails_to(server, LEAD["email"])]
    assert booking_token not in "".join(m.as_string() for m in not_lead)
    assert booking_token not in info


def test_host_is_mailed_once_when_google_access_is_revoked(
    booking_env: BookingEnv, mail_server: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first_id, first_token, first_checkout = confirmed_booking(booking_env)
    second_id, _, second_checkout = confirmed_booking(booking_env)
    booking_env.google.control("POST", "grants/revoke-all")
    booking_env.google.control("POST", "tokens/expire")

    booking_env.pay(first_checkout)
    wait_for(lambda: parked_job(booking_env, first_id), what="first booking parked")
    mail = wait_mail(mail_server, HOST_EMAIL, "reconnect")
    assert mail["From"] == MAIL_FROM
    assert "reconnect" in str(mail["Subject"]).lower()
    body = text_of(mail)
    assert f"{booking_env.url}/dashboard" in body
    assert "invalid_grant" in body

    # The same breakage again: another paid booking waits on it; no second mail.
    booking_env.pay(second_checkout)
    job = wait_for(lambda: parked_job(booking_env, second_id), what="second booking parked")
    assert job.park_code == "needs_reauth"
    settled(booking_env)
    assert len(mails_with(mail_server, HOST_EMAIL, "reconnect")) == 1
    assert booking_env.booking(first_id, first_token)["status"] == "paid"
    assert_nothing_secret(booking_env, mail_server, caplog, first_token)


def test_host_is_mailed_once_when_a_paid_booking_is_parked(
    booking_env: BookingEnv, mail_server: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    booking_id, token, checkout = confirmed_booking(booking_env)
    calendar = booking_env.google.config.account_email
    booking_env.google.control("POST", f"calendars/{calendar}/read-only")
    booking_env.pay(checkout)
    job = wait_for(lambda: parked_job(booking_env, booking_id), what="booking parked")
    assert job.park_code == "permission"
    mail = wait_mail(mail_server, HOST_EMAIL, "action needed")
    body = text_of(mail)
    assert LEAD["name"] in str(mail["Subject"])
    assert job.park_reason is not None and job.park_reason.split(".")[0] in body
    assert f"{booking_env.url}/dashboard/operations" in body
    assert "adding it to your Google Calendar" in body

    # An operator retries while the calendar is still read-only: it parks again, no new mail.
    with unit_of_work(booking_env.services.session_factory) as session:
        retry_job(session, job.id)
    wait_for(lambda: parked_job(booking_env, booking_id), what="parked again")
    settled(booking_env)
    assert len(mails_with(mail_server, HOST_EMAIL, "action needed")) == 1
    assert_nothing_secret(booking_env, mail_server, caplog, token)


def test_lead_is_mailed_once_when_the_payment_is_refunded(
    booking_env: BookingEnv, mail_server: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    booking_id, token, checkout = confirmed_booking(booking_env)
    booking_env.pay(checkout)
    booking_env.wait_status(booking_id, token, "scheduled")
    with unit_of_work(booking_env.services.session_factory) as session:
        booking = get_booking(session, uuid.UUID(booking_id), for_update=True)
        cancel(session, booking, by=CancelledBy.HOST, now=utcnow())

    mail = wait_mail(mail_server, LEAD["email"], "refunded")
    body = text_of(mail)
    assert "90.00 EUR" in body
    assert "Coaching session" in body
    assert "The host cancelled the booking." in body
    assert "(Europe/Paris)" in body

    # The refund recorded a second time (a replayed job effect): still one mail.
    with unit_of_work(booking_env.services.session_factory) as session:
        record_refund(session, uuid.UUID(booking_id), refund_id="re_again", amount_minor=9000)
    settled(booking_env)
    assert len(mails_with(mail_server, LEAD["email"], "refunded")) == 1
    assert_nothing_secret(booking_env, mail_server, caplog, token)


def test_the_booking_page_noticing_the_revocation_mails_the_host(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    """No job involved: free/busy for the slots page hits invalid_grant first."""
    booking_env.google.control("POST", "grants/revoke-all")
    booking_env.google.control("POST", "tokens/expire")
    for _ in range(2):
        response = booking_env.lead.get(
            "/api/v1/public/hosts/coach/types/session/slots",
            params={"start": utcnow().date().isoformat(), "days": 7, "tz": "Europe/Paris"},
        )
        assert response.status_code >= 400
    [mail] = mail_server.wait_for(1)
    assert mail["To"].addresses[0].addr_spec == HOST_EMAIL
    assert "reconnect" in str(mail["Subject"]).lower()
    settled(booking_env)
    assert len(mail_server.inbox.received()) == 1


def test_a_refund_mail_waits_out_an_smtp_outage(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    booking_id, token, checkout = confirmed_booking(booking_env)
    booking_env.pay(checkout)
    booking_env.wait_status(booking_id, token, "scheduled")
    settled(booking_env)
    mail_server.stop()
    with unit_of_work(booking_env.services.session_factory) as session:
        booking = get_booking(session, uuid.UUID(booking_id), for_update=True)
        cancel(session, booking, by=CancelledBy.HOST, now=utcnow())

    def retried() -> bool:
        with booking_env.services.session_factory() as session:
            job = session.scalar(
                select(Job).where(Job.kind == SEND_EMAIL, Job.status != JobStatus.SUCCEEDED)
            )
            return job is not None and job.attempts >= 2

    wait_for(retried, what="the mail job retrying while SMTP is down")
    mail_server.start()
    wait_mail(mail_server, LEAD["email"], "refunded")
    settled(booking_env)
    assert len(mails_with(mail_server, LEAD["email"], "refunded")) == 1
    assert len(mails_with(mail_server, LEAD["email"], "cancelled")) == 1
