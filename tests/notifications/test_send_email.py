"""The send_email job against a real SMTP server on loopback, driven claim by claim."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts import service as accounts
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.jobs import Job, JobAttempt, JobRegistry, JobStatus, RetryPolicy, claim_due
from leadscalendar.jobs.runner import run_claimed
from leadscalendar.notifications import (
    SEND_EMAIL,
    LogOnlyTransport,
    Mailer,
    MailRenderer,
    MailTemplate,
    SmtpConfig,
    SmtpTransport,
    enqueue_mail,
    notify_needs_reauth,
    register_mail_tasks,
)
from tests.support.mail_server import MailServer, text_of

REFUND_CONTEXT = {
    "lead_name": "Lena",
    "host_name": "Coach",
    "booking_title": "Coaching session",
    "when": "Thursday 26 November 2026, 10:00 (Europe/Paris)",
    "amount": "90.00 EUR",
    "reason": "The host cancelled the booking.",
}
PASSWORD = "s3cret-smtp-pa55"


def mailer_for(url: str) -> Mailer:
    renderer = MailRenderer(mail_from="LC <lc@example.com>", public_url="http://lc.test")
    return Mailer(renderer, SmtpTransport(SmtpConfig.from_url(url, timeout_seconds=5)))


def queue(factory: sessionmaker[Session], to: str = "lena@example.com", key: str = "k1") -> None:
    with unit_of_work(factory) as session:
        enqueue_mail(
            session,
            template=MailTemplate.REFUND,
            to=to,
            context=REFUND_CONTEXT,
            dedupe_key=f"mail:test:{key}",
            subject_key="booking-1",
            host_id=None,
        )


def run_due(factory: sessionmaker[Session], registry: JobRegistry) -> list[JobStatus | None]:
    """Run every mail job due within the hour (backoff skipped), once each."""
    claims = claim_due(
        factory, "test", 10, 30, kinds=[SEND_EMAIL], now=utcnow() + timedelta(hours=1)
    )
    policy = RetryPolicy(base_seconds=0.01, cap_seconds=0.01)
    return [run_claimed(c, registry, factory, policy=policy, lease_seconds=30) for c in claims]


def mail_jobs(factory: sessionmaker[Session]) -> list[Job]:
    with factory() as session:
        return list(session.scalars(select(Job).where(Job.kind == SEND_EMAIL)))


def attempt_messages(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return [a.message or "" for a in session.scalars(select(JobAttempt))]


def test_a_queued_mail_arrives_once(
    session_factory: sessionmaker[Session], mail_server: MailServer
) -> None:
    registry = register_mail_tasks(JobRegistry(), mailer_for(mail_server.url))
    queue(session_factory)
    queue(session_factory)  # the same cause again: deduplicated
    assert run_due(session_factory, registry) == [JobStatus.SUCCEEDED]
    assert run_due(session_factory, registry) == []
    [message] = mail_server.wait_for(1)
    assert message["To"] == "lena@example.com"
    assert message["From"] == "LC <lc@example.com>"
    assert message["Message-ID"] == f"<{mail_jobs(session_factory)[0].id}@example.com>"
    assert "90.00 EUR" in text_of(message)


def test_smtp_down_retries_and_the_mail_arrives_once_it_is_back(
    session_factory: sessionmaker[Session], mail_server: MailServer
) -> None:
    registry = register_mail_tasks(JobRegistry(), mailer_for(mail_server.url))
    mail_server.stop()
    queue(session_factory)
    assert run_due(session_factory, registry) == [JobStatus.QUEUED]
    assert run_due(session_factory, registry) == [JobStatus.QUEUED]
    assert any("Connection" in m for m in attempt_messages(session_factory))
    mail_server.start()
    assert run_due(session_factory, registry) == [JobStatus.SUCCEEDED]
    assert len(mail_server.wait_for(1)) == 1
    assert run_due(session_factory, registry) == []
    assert len(mail_server.inbox.received()) == 1


def test_a_temporary_refusal_retries(
    session_factory: sessionmaker[Session], mail_server: MailServer
) -> None:
    registry = register_mail_tasks(JobRegistry(), mailer_for(mail_server.url))
    mail_server.inbox.refuse["lena@example.com"] = "450 4.2.1 Mailbox busy, try later"
    queue(session_factory)
    assert run_due(session_factory, registry) == [JobStatus.QUEUED]
    assert "450" in attempt_messages(session_factory)[0]
    del mail_server.inbox.refuse["lena@example.com"]
    assert run_due(session_factory, registry) == [JobStatus.SUCCEEDED]
    assert len(mail_server.wait_for(1)) == 1


def test_a_permanent_refusal_parks_with_the_reason(
    session_factory: sessionmaker[Session], mail_server: MailServer
) -> None:
    registry = register_mail_tasks(JobRegistry(), mailer_for(mail_server.url))
    mail_server.inbox.refuse["gone@example.com"] = "550 5.1.1 No such mailbox"
    queue(session_factory, to="gone@example.com")
    assert run_due(session_factory, registry) == [JobStatus.PARKED]
    [job] = mail_jobs(session_factory)
    assert job.park_code == "mail_rejected"
    assert job.park_reason is not None and "550 5.1.1 No such mailbox" in job.park_reason
    assert mail_server.inbox.received() == []


def test_login_works_and_the_password_is_never_written_down(
    session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = MailServer(login=("mailer", PASSWORD))
    server.start()
    try:
        queue(session_factory, key="good")
        good = register_mail_tasks(JobRegistry(), mailer_for(server.url))
        assert run_due(session_factory, good) == [JobStatus.SUCCEEDED]
        assert len(server.wait_for(1)) == 1

        queue(session_factory, key="bad")
        wrong = server.url.replace(PASSWORD, "wrong-" + PASSWORD)
        bad = register_mail_tasks(JobRegistry(), mailer_for(wrong))
        assert run_due(session_factory, bad) == [JobStatus.PARKED]
    finally:
        server.stop()
    parked = [job for job in mail_jobs(session_factory) if job.status is JobStatus.PARKED]
    assert parked[0].park_code == "mail_rejected" and "535" in (parked[0].park_reason or "")
    written = caplog.text + "".join(attempt_messages(session_factory))
    written += "".join(job.park_reason or "" for job in mail_jobs(session_factory))
    assert PASSWORD not in written
    assert PASSWORD not in server.inbox.received()[0].as_string()


def test_without_smtp_the_mail_is_recorded_not_sent(
    session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="leadscalendar")
    renderer = MailRenderer(mail_from="LC <lc@example.com>", public_url="http://lc.test")
    registry = register_mail_tasks(JobRegistry(), Mailer(renderer, LogOnlyTransport()))
    queue(session_factory)
    assert run_due(session_factory, registry) == [JobStatus.SUCCEEDED]
    recorded = [r.getMessage() for r in caplog.records if "mail.not_sent" in r.getMessage()]
    assert recorded and "l***@example.com" in recorded[0]
    assert "lena@example.com" not in caplog.text
    with session_factory() as session:
        attempt = session.scalars(select(JobAttempt)).one()
        assert attempt.message == "refund mail recorded, not sent (no SMTP configured)"


def test_a_reconnect_mail_is_dropped_once_the_host_has_reconnected(
    session_factory: sessionmaker[Session], mail_server: MailServer
) -> None:
    registry = register_mail_tasks(JobRegistry(), mailer_for(mail_server.url))
    with unit_of_work(session_factory) as session:
        host = accounts.create_host(
            session,
            email="coach@example.com",
            name="Coach",
            slug="coach",
            password="correct horse battery",
            timezone="Europe/Paris",
        )
        connection = GoogleConnection(
            host_id=host.id,
            status=ConnectionStatus.NEEDS_REAUTH,
            status_reason="Google answered invalid_grant",
            token_ciphertext=b"x",
            token_version=1,
        )
        session.add(connection)
        session.flush()
        notify_needs_reauth(session, connection)
        notify_needs_reauth(session, connection)  # the same breakage, seen twice
        # The host reconnects before the worker gets to the mail.
        connection.status = ConnectionStatus.ACTIVE
        connection.token_version = 2
    assert run_due(session_factory, registry) == [JobStatus.SUCCEEDED]
    with session_factory() as session:
        attempt = session.scalars(select(JobAttempt)).one()
        assert attempt.message == "not sent: the host reconnected Google before the mail went out"
    assert mail_server.inbox.received() == []
