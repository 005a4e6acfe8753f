"""Reminder e-mails with a controlled clock: planned at each offset, moved, dropped, sent once.

The product runs on loopback with a real SMTP server; reminder jobs are
claimed with a chosen ``now`` (the worker's clock is real time, so it never
runs them by itself) and their mails go out through the running worker.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from leadscalendar.bookings import mails
from leadscalendar.bookings.job_kinds import SEND_REMINDER
from leadscalendar.bookings.service import get_booking
from leadscalendar.config import Settings
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import ClaimedJob, Job, JobStatus, RetryPolicy, claim_due
from leadscalendar.jobs.runner import run_claimed
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import LEAD, BookingEnv
from tests.support.booking_flow import API, Held, days_ahead, slot_starts
from tests.support.mail_env import mails as mails_to
from tests.support.mail_env import paid, settled, wait_mail
from tests.support.mail_server import MailServer, text_of

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def booking_settings(booking_settings: Settings, mail_server: MailServer) -> Settings:
    return booking_settings.model_copy(update={"smtp_url": SecretStr(mail_server.url)})


def reminder_jobs(env: BookingEnv, booking: Held) -> list[Job]:
    with env.services.session_factory() as session:
        query = select(Job).where(Job.subject_key == booking.id, Job.kind == SEND_REMINDER)
        return list(session.scalars(query.order_by(Job.run_after)))


def claim_at(env: BookingEnv, now: datetime) -> list[ClaimedJob]:
    return claim_due(env.services.session_factory, "clock", 10, 30, kinds=[SEND_REMINDER], now=now)


def run(env: BookingEnv, claims: list[ClaimedJob]) -> None:
    registry = env.services.job_registry()
    policy = RetryPolicy(base_seconds=0.01, cap_seconds=0.01)
    for claim in claims:
        run_claimed(claim, registry, env.services.session_factory, policy=policy, lease_seconds=30)


def start_of(env: BookingEnv, booking: Held) -> datetime:
    with env.services.session_factory() as session:
        return get_booking(session, booking.uuid).start_at


def test_reminders_fire_at_each_offset_in_the_leads_zone(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    booking = paid(env, "session", slot_starts(env, "session", days_ahead(3))[0])
    start = start_of(env, booking)
    planned = reminder_jobs(env, booking)
    assert [job.run_after for job in planned] == [
        start - timedelta(hours=24),
        start - timedelta(hours=1),
    ]

    assert claim_at(env, start - timedelta(hours=24, seconds=1)) == []
    run(env, claim_at(env, start - timedelta(hours=23)))
    first = wait_mail(mail_server, LEAD["email"], "reminder")
    local = start.astimezone(PARIS)
    assert f"{local:%A %d %B %Y, %H:%M} (Europe/Paris)" in text_of(first)
    assert "in 24 hours" in text_of(first)
    run(env, claim_at(env, start - timedelta(minutes=59)))
    second = wait_mail(mail_server, LEAD["email"], "reminder", count=2)
    assert "in 1 hour" in text_of(second)
    assert claim_at(env, start + timedelta(days=1)) == []
    settled(env)
    assert len(mails_to(mail_server, LEAD["email"], "reminder")) == 2
    assert mails_to(mail_server, HOST_EMAIL, "reminder") == []


def test_no_reminder_after_a_cancel_even_from_a_job_already_running(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    booking = paid(env, "session", slot_starts(env, "session", days_ahead(3))[0])
    start = start_of(env, booking)
    running = claim_at(env, start - timedelta(minutes=30))  # both offsets due, both claimed
    assert len(running) == 2
    cancelled = env.lead.post(
        f"{API}/bookings/{booking.id}/cancel", params={"token": booking.token}
    )
    assert cancelled.status_code == 200, cancelled.text
    run(env, running)
    wait_mail(mail_server, LEAD["email"], "cancelled")
    settled(env)
    assert mails_to(mail_server, LEAD["email"], "reminder") == []
    assert claim_at(env, start) == []


def test_a_reschedule_while_a_reminder_runs_gives_one_reminder_for_the_new_time(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    offered = slot_starts(env, "session", days_ahead(3))
    booking = paid(env, "session", offered[0])
    old_start = start_of(env, booking)
    running = claim_at(env, old_start - timedelta(hours=23))
    assert len(running) == 1
    moved = env.lead.post(
        f"{API}/bookings/{booking.id}/reschedule",
        params={"token": booking.token},
        json={"start": offered[3]},
    )
    assert moved.status_code == 200, moved.text
    run(env, running)  # planned for the old time: sends nothing
    new_start = start_of(env, booking)
    assert new_start != old_start
    pending = [job for job in reminder_jobs(env, booking) if job.status is JobStatus.QUEUED]
    assert sorted(job.run_after for job in pending) == [
        new_start - timedelta(hours=24),
        new_start - timedelta(hours=1),
    ]
    run(env, claim_at(env, new_start - timedelta(hours=23)))
    reminder = wait_mail(mail_server, LEAD["email"], "reminder")
    local = new_start.astimezone(PARIS)
    assert f"{local:%A %d %B %Y, %H:%M}" in str(reminder["Subject"])
    settled(env)
    assert len(mails_to(mail_server, LEAD["email"], "reminder")) == 1


def test_an_offset_already_past_is_skipped_and_a_rerun_mails_once(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    booking = paid(env, "session", slot_starts(env, "session", days_ahead(3))[0])
    start = start_of(env, booking)
    with unit_of_work(env.services.session_factory) as session:
        row = get_booking(session, uuid.UUID(booking.id), for_update=True)
        # Planned 30 minutes before the start: neither offset lies ahead.
        mails.plan_reminders(session, row, start - timedelta(minutes=30))
    assert all(job.status is JobStatus.CANCELLED for job in reminder_jobs(env, booking))

    with unit_of_work(env.services.session_factory) as session:
        row = get_booking(session, uuid.UUID(booking.id), for_update=True)
        mails.plan_reminders(session, row, start - timedelta(hours=2))
        # Two workers (or a re-run after a lost lease) deciding the same reminder.
        mails.reminder(session, row, 60)
        mails.reminder(session, row, 60)
    wait_mail(mail_server, LEAD["email"], "reminder")
    settled(env)
    assert len(mails_to(mail_server, LEAD["email"], "reminder")) == 1


def test_a_reminder_held_up_by_an_smtp_outage_is_dropped_once_the_booking_is_cancelled(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    booking = paid(env, "session", slot_starts(env, "session", days_ahead(3))[0])
    start = start_of(env, booking)
    settled(env)
    mail_server.stop()
    run(env, claim_at(env, start - timedelta(hours=23)))  # the reminder mail is queued
    cancelled = env.lead.post(
        f"{API}/bookings/{booking.id}/cancel", params={"token": booking.token}
    )
    assert cancelled.status_code == 200, cancelled.text
    mail_server.start()
    wait_mail(mail_server, LEAD["email"], "cancelled")
    settled(env)
    assert mails_to(mail_server, LEAD["email"], "reminder") == []
