"""The host's morning digest: planned by the first park, mailed while work is parked, then quiet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import Job, JobStatus, RetryPolicy, cancel_job, claim_due
from leadscalendar.jobs.runner import run_claimed
from leadscalendar.notifications.digest import HOST_DIGEST, next_morning
from tests.notifications.test_booking_mail import confirmed_booking, parked_job, settled
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.mail_env import mails, wait_mail
from tests.support.mail_server import MailServer, text_of

PARIS = ZoneInfo("Europe/Paris")


def test_next_morning_is_eight_oclock_in_the_hosts_zone() -> None:
    evening = datetime(2026, 3, 28, 20, 0, tzinfo=PARIS)  # the night clocks go forward
    assert next_morning(evening, "Europe/Paris") == datetime(2026, 3, 29, 8, 0, tzinfo=PARIS)
    early = datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 in Paris (summer time)
    assert next_morning(early, "Europe/Paris") == datetime(2026, 3, 29, 8, 0, tzinfo=PARIS)
    assert next_morning(early, "No/Such_Zone") == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)


def digests(env: BookingEnv) -> list[Job]:
    with env.services.session_factory() as session:
        query = select(Job).where(Job.kind == HOST_DIGEST).order_by(Job.run_after)
        return list(session.scalars(query))


def run_digests_at(env: BookingEnv, now: datetime) -> None:
    factory = env.services.session_factory
    registry = env.services.job_registry()
    policy = RetryPolicy(base_seconds=0.01, cap_seconds=0.01)
    for claim in claim_due(factory, "clock", 10, 30, kinds=[HOST_DIGEST], now=now):
        run_claimed(claim, registry, factory, policy=policy, lease_seconds=30)


def test_parked_work_is_summed_up_each_morning_until_none_is_left(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    booking_id, _, checkout = confirmed_booking(env)
    env.google.control("POST", f"calendars/{env.google.config.account_email}/read-only")
    env.pay(checkout)
    job = wait_for(lambda: parked_job(env, booking_id), what="booking parked")
    [planned] = digests(env)
    assert planned.run_after.astimezone(PARIS).hour == 8
    assert planned.run_after > datetime.now(UTC)

    run_digests_at(env, planned.run_after)
    digest = wait_mail(mail_server, HOST_EMAIL, "for you in LeadsCalendar")
    assert "1 thing still waits" in str(digest["Subject"])
    assert job.park_reason is not None and job.park_reason.split(".")[0] in text_of(digest)
    assert f"{env.url}/dashboard/operations" in text_of(digest)
    tomorrow = [j for j in digests(env) if j.status is JobStatus.QUEUED]
    assert [j.run_after for j in tomorrow] == [planned.run_after + timedelta(days=1)]

    with unit_of_work(env.services.session_factory) as session:
        cancel_job(session, job.id)  # the host dealt with it
    run_digests_at(env, tomorrow[0].run_after)
    settled(env)
    assert len(mails(mail_server, HOST_EMAIL, "for you in LeadsCalendar")) == 1
    assert [j for j in digests(env) if j.status is JobStatus.QUEUED] == []
