"""A paid booking's mails sent by its ``booking_mails`` job, against a live SMTP server.

When the server answers, both mails go out over the job's own connection and
no ``send_email`` job is left to run; when it does not, each mail that did not
go is an ordinary ``send_email`` job, which delivers once the server is back
or parks when the server refuses it for good.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.bookings.job_kinds import SEND_REMINDER
from leadscalendar.db.base import utcnow
from leadscalendar.jobs import JobRegistry, JobStatus, RetryPolicy, claim_due
from leadscalendar.jobs.runner import run_claimed
from leadscalendar.notifications import SEND_EMAIL, SmtpConfig, SmtpTransport, register_mail_tasks
from leadscalendar.notifications.park_codes import MailParkCode
from tests.bookings.test_mail_tasks import jobs, mailer_with, pay, run_mails_job, seed
from tests.support.mail_server import MailServer

LEAD, HOST = "lena@example.com", "coach@example.com"


def smtp_transport(server: MailServer) -> SmtpTransport:
    return SmtpTransport(SmtpConfig.from_url(server.url, timeout_seconds=5))


def paid_booking(session_factory: sessionmaker[Session]) -> None:
    booking_id = seed(session_factory, (utcnow() + timedelta(days=3)).replace(microsecond=0))
    pay(session_factory, booking_id)


def run_send_email_jobs(session_factory: sessionmaker[Session], server: MailServer) -> None:
    """Run each due ``send_email`` job once through the runner, as a worker would."""
    registry = register_mail_tasks(JobRegistry(), mailer_with(smtp_transport(server)))
    claims = claim_due(session_factory, "test", 10, 30, kinds=[SEND_EMAIL])
    policy = RetryPolicy(base_seconds=0.01, cap_seconds=0.01)
    for claim in claims:
        run_claimed(claim, registry, session_factory, policy=policy, lease_seconds=30)


def mail_states(session_factory: sessionmaker[Session]) -> dict[str, JobStatus]:
    return {str(job.payload["to"]): job.status for job in jobs(session_factory, SEND_EMAIL)}


def test_a_paid_bookings_mails_go_out_with_no_send_email_job_to_run(
    session_factory: sessionmaker[Session], mail_server: MailServer
) -> None:
    paid_booking(session_factory)
    outcome = run_mails_job(session_factory, mailer=mailer_with(smtp_transport(mail_server)))
    received = mail_server.wait_for(2)
    assert sorted(str(message["To"]) for message in received) == [HOST, LEAD]
    assert outcome.detail == "confirmed mails: 2 sent, 0 queued to retry"
    assert mail_states(session_factory) == {LEAD: JobStatus.SUCCEEDED, HOST: JobStatus.SUCCEEDED}
    assert len(jobs(session_factory, SEND_REMINDER)) == 2


def test_smtp_down_leaves_send_email_jobs_that_deliver_later(
    session_factory: sessionmaker[Session], mail_server: MailServer
) -> None:
    paid_booking(session_factory)
    mail_server.stop()
    run_mails_job(session_factory, mailer=mailer_with(smtp_transport(mail_server)))
    assert mail_states(session_factory) == {LEAD: JobStatus.QUEUED, HOST: JobStatus.QUEUED}
    assert len(jobs(session_factory, SEND_REMINDER)) == 2  # planned all the same
    mail_server.start()
    run_send_email_jobs(session_factory, mail_server)
    received = mail_server.wait_for(2)
    assert sorted(str(message["To"]) for message in received) == [HOST, LEAD]
    assert mail_states(session_factory) == {LEAD: JobStatus.SUCCEEDED, HOST: JobStatus.SUCCEEDED}


def test_a_refused_recipient_fails_only_its_own_mail_which_parks_as_ever(
    session_factory: sessionmaker[Session], mail_server: MailServer
) -> None:
    paid_booking(session_factory)
    mail_server.inbox.refuse[LEAD] = "550 5.1.1 No such mailbox"
    run_mails_job(session_factory, mailer=mailer_with(smtp_transport(mail_server)))
    assert [str(message["To"]) for message in mail_server.wait_for(1)] == [HOST]
    assert mail_states(session_factory) == {LEAD: JobStatus.QUEUED, HOST: JobStatus.SUCCEEDED}
    run_send_email_jobs(session_factory, mail_server)
    (lead_job,) = (job for job in jobs(session_factory, SEND_EMAIL) if job.payload["to"] == LEAD)
    assert lead_job.status is JobStatus.PARKED
    assert lead_job.park_code == MailParkCode.MAIL_REJECTED
    assert len(mail_server.inbox.received()) == 1
