"""The paid webhook's lean transaction and the ``booking_mails`` job after it, without servers.

The intake records the payment, marks the booking paid and enqueues exactly
two jobs (its calendar event and its mails) in a handful of statements; the
mails job then queues what the intake used to queue itself: the same mails
under the same keys, and the reminders as of the acceptance.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts.models import Host
from leadscalendar.bookings import mails
from leadscalendar.bookings.booking_types import BookingTypeIn, create_booking_type
from leadscalendar.bookings.job_kinds import BOOKING_MAILS, CREATE_EVENT, SEND_REMINDER
from leadscalendar.bookings.mail_tasks import FinishBookingMails, send_booking_mails
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.payment_events import BookingPaymentHandler
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import ClaimedJob, Job, JobContext, JobStatus, Park, Succeeded
from leadscalendar.jobs.outcomes import apply_effects
from leadscalendar.notifications import (
    SEND_EMAIL,
    LogOnlyTransport,
    Mailer,
    MailRenderer,
    MailTransport,
)
from leadscalendar.payments.service import RecordOutcome, record_webhook_event
from leadscalendar.payments.webhooks import verify_stripe_webhook
from leadscalendar.webhooks_out.models import EventType, WebhookEndpoint, WebhookMessage
from tests.support.payments import TEST_WEBHOOK_SECRET, session_event, signed

PRICE = 9000
# INSERT event, SELECT booking (locked, with its type and whether endpoints listen),
# INSERT jobs, UPDATE booking, INSERT timeline; SQLite's BEGIN IMMEDIATE too.
MAX_STATEMENTS = 6


def seed(session_factory: sessionmaker[Session], start: datetime) -> uuid.UUID:
    """A host, a paid type (reminders 24 h and 1 h ahead) and a booking awaiting payment."""
    with unit_of_work(session_factory) as session:
        host = Host(email="coach@example.com", name="Coach", slug="coach", password_hash="x")
        host.timezone = "Europe/Paris"
        session.add(host)
        session.flush()
        booking_type = create_booking_type(
            session,
            host.id,
            BookingTypeIn(slug="s", title="Session", duration_minutes=60, price_minor=PRICE),
        )
        booking = Booking(
            host_id=host.id,
            booking_type_id=booking_type.id,
            status=BookingStatus.AWAITING_PAYMENT,
            start_at=start,
            end_at=start + timedelta(hours=1),
            lead_time_zone="America/New_York",
            lead_name="Lena",
            lead_email="lena@example.com",
            hold_expires_at=utcnow() + timedelta(minutes=30),
            amount_minor=PRICE,
            currency="eur",
            checkout_session_id="cs_mail_tasks",
        )
        session.add(booking)
        session.flush()
        return booking.id


def pay(session_factory: sessionmaker[Session], booking_id: uuid.UUID) -> RecordOutcome:
    """The webhook route's transaction: verify, record, let the bookings handler act."""
    body, headers = signed(
        session_event(booking_id=booking_id, session_id="cs_mail_tasks", amount=PRICE)
    )
    verified = verify_stripe_webhook(body, headers["Stripe-Signature"], TEST_WEBHOOK_SECRET)
    with unit_of_work(session_factory) as session:
        return record_webhook_event(session, verified, BookingPaymentHandler())


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]).split()[0])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def jobs(session_factory: sessionmaker[Session], kind: str) -> list[Job]:
    with session_factory() as session:
        query = select(Job).where(Job.kind == kind).order_by(Job.run_after, Job.dedupe_key)
        return list(session.scalars(query))


def mailer_with(transport: MailTransport) -> Mailer:
    """A worker's mailer; the lead's manage link signed as the web app would."""
    renderer = MailRenderer(
        mail_from="LC <lc@example.com>",
        public_url="http://lc.test",
        booking_token=lambda booking_id: f"signed.{booking_id.hex}",
    )
    return Mailer(renderer, transport)


def log_only_mailer() -> Mailer:
    """The mailer without SMTP: messages are rendered and recorded, not sent."""
    return mailer_with(LogOnlyTransport())


def run_mails_job(
    session_factory: sessionmaker[Session],
    payload: dict[str, Any] | None = None,
    mailer: Mailer | None = None,
) -> Succeeded:
    """Run the booking's mails job once, as the runner would, and commit its outcome's effects."""
    (job,) = jobs(session_factory, BOOKING_MAILS)
    claimed = ClaimedJob(
        id=job.id,
        kind=job.kind,
        payload=payload or job.payload,
        subject_key=job.subject_key,
        host_id=job.host_id,
        attempt=1,
        max_attempts=job.max_attempts,
        lease_owner="test/1",
        lease_expires_at=utcnow() + timedelta(minutes=1),
    )
    outcome = send_booking_mails(
        JobContext(claimed, session_factory, 30), mailer or log_only_mailer()
    )
    assert isinstance(outcome, Succeeded)
    with unit_of_work(session_factory) as session:
        apply_effects(session, outcome.effects)
    return outcome


def test_a_paid_webhook_writes_the_booking_and_two_jobs_in_a_few_statements(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    booking_id = seed(session_factory, utcnow() + timedelta(days=3))
    with counted(engine) as statements:
        assert pay(session_factory, booking_id) is RecordOutcome.NEW
    assert len(statements) <= MAX_STATEMENTS, statements
    assert statements.count("UPDATE") == 1  # the booking's state, paid_at and intent at once
    assert statements.count("SELECT") == 1  # no host without endpoints is asked twice
    with session_factory() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None and booking.status is BookingStatus.PAID
        assert booking.paid_at is not None and booking.hold_expires_at is None
        queued = session.scalars(select(Job).where(Job.subject_key == str(booking_id))).all()
    assert sorted((job.kind, job.status, job.dedupe_key) for job in queued) == [
        (BOOKING_MAILS, JobStatus.QUEUED, f"{BOOKING_MAILS}:confirmed:{booking_id}"),
        (CREATE_EVENT, JobStatus.QUEUED, f"{CREATE_EVENT}:{booking_id}"),
    ]


def test_a_host_with_an_endpoint_still_gets_the_paid_event(
    session_factory: sessionmaker[Session],
) -> None:
    booking_id = seed(session_factory, utcnow() + timedelta(days=3))
    with unit_of_work(session_factory) as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        session.add(
            WebhookEndpoint(
                host_id=booking.host_id,
                url="https://hooks.example.com/in",
                event_types=[EventType.BOOKING_PAID.value],
                secret_ciphertext=b"not read here",
            )
        )
    pay(session_factory, booking_id)
    with session_factory() as session:
        messages = session.scalars(select(WebhookMessage)).all()
    assert [(m.booking_id, m.event_type) for m in messages] == [
        (booking_id, EventType.BOOKING_PAID.value)
    ]
    assert messages[0].payload["data"]["status"] == "paid"


def test_the_mails_job_queues_the_confirmations_and_the_reminders_once(
    session_factory: sessionmaker[Session],
) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    booking_id = seed(session_factory, start)
    pay(session_factory, booking_id)
    assert jobs(session_factory, SEND_EMAIL) == []
    first = run_mails_job(session_factory)
    assert [type(effect) for effect in first.effects] == [FinishBookingMails]
    run_mails_job(session_factory)  # a re-run after a lost lease records nothing twice
    sent = jobs(session_factory, SEND_EMAIL)
    # Sent by the mails job itself, kept on record under the keys they always had.
    assert sorted((job.dedupe_key or "", job.status) for job in sent) == [
        (f"mail:confirmed:{booking_id}", JobStatus.SUCCEEDED),
        (f"mail:host_new:{booking_id}", JobStatus.SUCCEEDED),
    ]
    assert {job.payload["to"] for job in sent} == {"lena@example.com", "coach@example.com"}
    reminders = jobs(session_factory, SEND_REMINDER)
    assert [job.run_after for job in reminders] == [
        start - timedelta(hours=24),
        start - timedelta(hours=1),
    ]


def test_reminders_are_planned_as_of_the_payment_even_when_the_job_runs_late(
    session_factory: sessionmaker[Session],
) -> None:
    start = (utcnow() + timedelta(hours=23)).replace(microsecond=0)
    booking_id = seed(session_factory, start)
    pay(session_factory, booking_id)
    (job,) = jobs(session_factory, BOOKING_MAILS)
    # A worker that was down: the payment came two hours before the job runs, when
    # the 24-hour reminder was still ahead; planned then, it would run now, late.
    late = {**job.payload, "accepted_at": (start - timedelta(hours=25)).isoformat()}
    run_mails_job(session_factory, late)
    due = [job.run_after for job in jobs(session_factory, SEND_REMINDER)]
    assert due == [start - timedelta(hours=24), start - timedelta(hours=1)]
    assert due[0] < utcnow()


def test_a_booking_cancelled_before_the_job_gets_no_confirmation(
    session_factory: sessionmaker[Session],
) -> None:
    booking_id = seed(session_factory, utcnow() + timedelta(days=3))
    pay(session_factory, booking_id)
    with unit_of_work(session_factory) as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        booking.status = BookingStatus.CANCELLED
    run_mails_job(session_factory)
    assert jobs(session_factory, SEND_EMAIL) == []
    assert jobs(session_factory, SEND_REMINDER) == []


def test_planning_the_same_version_again_keeps_its_reminders(
    session_factory: sessionmaker[Session],
) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    booking_id = seed(session_factory, start)
    pay(session_factory, booking_id)
    run_mails_job(session_factory)
    with unit_of_work(session_factory) as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        mails.plan_reminders(session, booking, utcnow())
    statuses = [job.status for job in jobs(session_factory, SEND_REMINDER)]
    assert statuses == [JobStatus.QUEUED, JobStatus.QUEUED]


def test_an_unreadable_mails_job_parks(session_factory: sessionmaker[Session]) -> None:
    claimed = ClaimedJob(
        id=uuid.uuid4(),
        kind=BOOKING_MAILS,
        payload={"booking_id": "not an id", "plan": "confirmed"},
        subject_key="x",
        host_id=None,
        attempt=1,
        max_attempts=20,
        lease_owner="test/1",
        lease_expires_at=utcnow() + timedelta(minutes=1),
    )
    outcome = send_booking_mails(JobContext(claimed, session_factory, 30), log_only_mailer())
    assert isinstance(outcome, Park) and outcome.code is ParkCode.BOOKING_MAILS_INVALID


def test_a_mails_job_with_a_naive_time_parks(
    session_factory: sessionmaker[Session],
) -> None:
    naive = datetime(2026, 12, 1, 9, 0)  # noqa: DTZ001 - the point of the test
    claimed = ClaimedJob(
        id=uuid.uuid4(),
        kind=BOOKING_MAILS,
        payload={"booking_id": str(uuid.uuid4()), "plan": "confirmed", "accepted_at": str(naive)},
        subject_key="x",
        host_id=None,
        attempt=1,
        max_attempts=20,
        lease_owner="test/1",
        lease_expires_at=datetime.now(UTC) + timedelta(minutes=1),
    )
    outcome = send_booking_mails(JobContext(claimed, session_factory, 30), log_only_mailer())
    assert isinstance(outcome, Park) and outcome.code is ParkCode.BOOKING_MAILS_INVALID
