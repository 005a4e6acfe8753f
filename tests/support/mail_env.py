"""Reading what the mail server received during a booking scenario (``booking_env``)."""

from __future__ import annotations

import time
from email.message import EmailMessage

from sqlalchemy import select

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


def settled(env: BookingEnv) -> None:
    def done() -> bool:
        with env.services.session_factory() as session:
            jobs = session.scalars(select(Job).where(Job.kind == SEND_EMAIL)).all()
            return all(job.status in (JobStatus.SUCCEEDED, JobStatus.PARKED) for job in jobs)

    wait_for(done, what="mail jobs settled")
    time.sleep(0.3)


def paid(env: BookingEnv, type_slug: str, start: str, status: str = "scheduled") -> Held:
    booking, session_id = checkout(env, type_slug, start)
    env.pay(f"{env.payments_url}/checkout/{session_id}")
    env.wait_status(booking.id, booking.token, status)
    return booking
