"""bookings.notices without servers: which outcome queues which mail, and the words in it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.accounts import service as accounts
from leadscalendar.bookings.booking_types import BookingTypeIn, create_booking_type
from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.notices import format_when, with_park_notice
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.jobs import ClaimedJob, Job, Outcome, Park, Retry, Succeeded
from leadscalendar.notifications import SEND_EMAIL, MailTemplate


def seed(session: Session) -> Booking:
    host = accounts.create_host(
        session,
        email="coach@example.com",
        name="Coach",
        slug="coach",
        password="correct horse battery",
        timezone="Europe/Paris",
    )
    booking_type = create_booking_type(
        session,
        host.id,
        BookingTypeIn(slug="s", title="Session", duration_minutes=60, price_minor=9000),
    )
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    booking = Booking(
        host_id=host.id,
        booking_type_id=booking_type.id,
        status=BookingStatus.PAID,
        start_at=start,
        end_at=start + timedelta(hours=1),
        lead_time_zone="America/New_York",
        lead_name="Lena",
        lead_email="lena@example.com",
        amount_minor=9000,
        currency="eur",
    )
    session.add(booking)
    session.flush()
    return booking


def claim(booking: Booking, *, attempt: int = 1, max_attempts: int = 20) -> ClaimedJob:
    return ClaimedJob(
        id=uuid.uuid4(),
        kind=CREATE_EVENT,
        payload={"booking_id": str(booking.id)},
        subject_key=str(booking.id),
        host_id=booking.host_id,
        attempt=attempt,
        max_attempts=max_attempts,
        lease_owner="test/1",
        lease_expires_at=utcnow() + timedelta(minutes=1),
    )


def mails(session: Session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.kind == SEND_EMAIL)))


def apply(outcome: Outcome, session: Session) -> None:
    assert outcome.effects
    for effect in outcome.effects:
        effect.apply(session)
    session.flush()


def test_a_park_queues_one_mail_to_the_host_with_its_reason(session: Session) -> None:
    booking = seed(session)
    job = claim(booking)
    outcome = with_park_notice(job, Park(ParkCode.PERMISSION, "Pick a calendar you own."))
    assert [effect.name for effect in outcome.effects] == ["mail.host_notice", "mail.plan_digest"]
    apply(outcome, session)
    apply(with_park_notice(job, Park(ParkCode.PERMISSION, "again")), session)
    [mail] = mails(session)
    assert mail.dedupe_key == f"mail:parked:{job.id}"
    assert mail.payload["template"] == MailTemplate.BOOKING_PARKED.value
    assert mail.payload["to"] == "coach@example.com"
    context = mail.payload["context"]
    assert context["reason"] == "Pick a calendar you own."
    assert context["when"] == "Tuesday 01 December 2026, 10:00 (Europe/Paris)"


def test_the_last_retry_mails_as_the_runner_will_park_it(session: Session) -> None:
    booking = seed(session)
    outcome = with_park_notice(claim(booking, attempt=20), Retry(reason="Google said 503"))
    apply(outcome, session)
    [mail] = mails(session)
    assert "Gave up after 20 attempts" in mail.payload["context"]["reason"]


@pytest.mark.parametrize("outcome", [Retry(reason="503"), Succeeded("done")])
def test_other_outcomes_are_left_alone(session: Session, outcome: Outcome) -> None:
    booking = seed(session)
    assert with_park_notice(claim(booking), outcome) is outcome


def test_a_needs_reauth_park_mails_about_the_connection_not_the_booking(session: Session) -> None:
    booking = seed(session)
    connection = GoogleConnection(
        host_id=booking.host_id,
        status=ConnectionStatus.NEEDS_REAUTH,
        status_reason="Google answered invalid_grant",
        token_ciphertext=b"x",
        token_version=3,
    )
    session.add(connection)
    session.flush()
    for _ in range(2):  # two bookings waiting on one breakage
        park = with_park_notice(
            claim(booking), Park(ParkCode.NEEDS_REAUTH, "Waiting for the host to reconnect")
        )
        assert [e.name for e in park.effects] == ["mail.needs_reauth", "mail.plan_digest"]
        apply(park, session)
    [mail] = mails(session)
    assert mail.dedupe_key == f"mail:needs_reauth:{connection.id}:3"
    assert mail.payload["template"] == MailTemplate.NEEDS_REAUTH.value


def test_times() -> None:
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert (
        format_when(moment, "America/New_York")
        == "Tuesday 01 December 2026, 04:00 (America/New_York)"
    )
    assert format_when(moment, "Not/AZone") == "Tuesday 01 December 2026, 09:00 (UTC)"


def test_a_delay_mails_the_host_once_with_words_that_fit_the_booking(session: Session) -> None:
    from leadscalendar.bookings.google_outcomes import SLOW_PHASE_REASON

    booking = seed(session)
    booking.status = BookingStatus.CANCELLED
    booking.status_reason = "Cancelled by the lead."
    job = claim(booking, attempt=20)
    for _ in range(2):
        outcome = with_park_notice(job, Retry(reason="Backend Error", transient=True))
        assert isinstance(outcome, Retry) and outcome.effects == ()
        assert [effect.name for effect in outcome.on_slow] == ["mail.host_notice"]
        for effect in outcome.on_slow:
            effect.apply(session)
        session.flush()
    [mail] = mails(session)
    assert mail.payload["template"] == MailTemplate.BOOKING_DELAYED.value
    assert mail.dedupe_key == f"mail:delayed:{job.id}"
    # Not the cancelled booking's own reason: why the calendar work waits.
    assert mail.payload["context"]["reason"] == SLOW_PHASE_REASON
