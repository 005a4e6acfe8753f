"""Reading what the mail server received during a booking scenario (``booking_env``)."""

from __future__ import annotations

import time
from email.message import EmailMessage

from sqlalchemy import select

from leadscalendar.bookings.job_kinds import BOOKING_MAILS
from leadscalendar.jobs import Job, JobStatus
from leadscalendar.notifications import SEND_EMAIL
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.booking_flow import Held, checkout
from tests.support.mail_server import MailServer


def mails(server: MailServer, to: str, word: str) -> list[EmailMessage]:
    return [
        m
        for m in server.inbox.received()
        if m["To"].addresses[0].addr_spec == to and word.lower() in str(m["Subject"]).lower()
    ]


def wait_mail(server: MailServer, to: str, word: str, count: int = 1) -> EmailMessage:
    found = wait_for(
        lambda: (lambda got: got if len(got) >= count else None)(mails(server, to, word)),
        what=f"{count} '{word}' mail(s) to {to}",
    )
    return found[count - 1]


def _finished(env: BookingEnv, kind: str, subject_key: str | None = None) -> bool:
    with env.services.session_factory() as session:
        query = select(Job).where(Job.kind == kind)
        if subject_key is not None:
            query = query.where(Job.subject_key == subject_key)
        jobs = session.scalars(query).all()
        return all(job.status in (JobStatus.SUCCEEDED, JobStatus.PARKED) for job in jobs)


def settled(env: BookingEnv) -> None:
    # A paid booking's mails are worded by a job of their own first (bookings.mail_tasks).
    wait_for(lambda: _finished(env, BOOKING_MAILS), what="mails planned")
    wait_for(lambda: _finished(env, SEND_EMAIL), what="mail jobs settled")
    time.sleep(0.3)


def paid(env: BookingEnv, type_slug: str, start: str, status: str = "scheduled") -> Held:
    """A booking paid through the checkout, its mails and reminders planned (a job's work)."""
    booking, session_id = checkout(env, type_slug, start)
    env.pay(f"{env.payments_url}/checkout/{session_id}")
    env.wait_status(booking.id, booking.token, status)
    wait_for(lambda: _finished(env, BOOKING_MAILS, booking.id), what="mails planned")
    return booking
