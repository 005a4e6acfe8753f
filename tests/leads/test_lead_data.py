"""A lead's data on request: the export's content, and erasure across every table and Google."""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from leadscalendar.bookings import mails, webhook_events
from leadscalendar.bookings.job_kinds import SEND_REMINDER, UPDATE_EVENT
from leadscalendar.bookings.lead_fields import ERASED_NAME
from leadscalendar.bookings.models import Booking, BookingEvent
from leadscalendar.bookings.schemas import Guest
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import Job, JobAttempt, JobStatus
from leadscalendar.leads.models import LeadErasure
from leadscalendar.notifications import MailTemplate, enqueue_mail
from leadscalendar.payments.models import PaymentEvent, PaymentEventKind
from leadscalendar.webhooks_out.models import WebhookMessage
from tests.support.api_env import api_client, create_key
from tests.support.app_env import HOST_EMAIL, csrf_from
from tests.support.bookings_env import BookingsEnv

LENA = "lena@example.com"
LENA_NAME = "Lena Lindqvist"
GUEST = Guest(email="gus@example.com", name="Gus Guestly")
ANSWERS = [{"question_id": "q1", "label": "Phone", "type": "phone", "value": "+4930901820"}]
SOURCE = {"utm_source": "newsletter", "ref": "lena-referral"}
PERSONAL = (LENA, LENA_NAME, "Lindqvist", GUEST.email, "Guestly", "+4930901820", "lena-referral")


def _seed_lena(env: BookingsEnv) -> list[uuid.UUID]:
    """Two scheduled, paid bookings by Lena (answers, source, a guest) and one by someone else."""
    env.update_type(price_minor=5000)
    ids = env.book(2, paid=True, guests=[GUEST], lead_name=LENA_NAME, lead_email=LENA)
    env.book(1, paid=True, lead_name="Otto Other", lead_email="otto@example.com")
    with unit_of_work(env.services.session_factory) as session:
        session.execute(
            update(Booking).where(Booking.id.in_(ids)).values(answers=ANSWERS, source=SOURCE)
        )
        # A mail refused by the server, and a raw provider payload naming the payer.
        mails.note_undeliverable(session, str(ids[0]), LENA, "550 mailbox unavailable")
        session.add(
            PaymentEvent(
                provider="sandbox",
                external_id=f"evt_{uuid.uuid4().hex}",
                type="charge.succeeded",
                kind=PaymentEventKind.OTHER,
                booking_id=ids[0],
                payment_intent_id=f"pi_{ids[0].hex}",
                amount_minor=5000,
                currency="eur",
                raw=json.dumps({"billing_details": {"email": LENA, "name": LENA_NAME}}),
            )
        )
    env.drain()
    with unit_of_work(env.services.session_factory) as session:
        # A stored outbound webhook payload (as if the host had an endpoint subscribed).
        booking = session.get(Booking, ids[0])
        assert booking is not None
        data = webhook_events.booking_snapshot(session, booking)
        session.add(
            WebhookMessage(
                host_id=env.host_id,
                booking_id=ids[0],
                sequence=1,
                event_type="booking.scheduled",
                payload={"type": "booking.scheduled", "data": data},
            )
        )
        # A mail still waiting to go to Lena (sent later), which erasure must cancel.
        enqueue_mail(
            session,
            template=MailTemplate.BOOKING_CONFIRMED,
            to=LENA,
            context={"lead_name": LENA_NAME},
            dedupe_key=f"test:later:{ids[1]}",
            subject_key=str(ids[1]),
            host_id=env.host_id,
            run_after=utcnow() + timedelta(days=1),
        )
    return ids


def _everything_stored(env: BookingsEnv, ids: list[uuid.UUID]) -> str:
    """Every row about these bookings, as text: what a search for the lead would read."""
    subjects = [str(booking_id) for booking_id in ids]
    with env.services.session_factory() as session:
        rows: list[Any] = [
            *session.scalars(select(Booking).where(Booking.id.in_(ids))),
            *session.scalars(select(BookingEvent).where(BookingEvent.booking_id.in_(ids))),
            *session.scalars(select(Job).where(Job.subject_key.in_(subjects))),
            *session.scalars(select(PaymentEvent).where(PaymentEvent.booking_id.in_(ids))),
            *session.scalars(select(WebhookMessage).where(WebhookMessage.booking_id.in_(ids))),
        ]
        jobs = [row.id for row in rows if isinstance(row, Job)]
        rows += session.scalars(select(JobAttempt).where(JobAttempt.job_id.in_(jobs)))
        return json.dumps(
            [
                {column: str(getattr(row, column)) for column in row.__mapper__.c.keys()}  # noqa: SIM118
                for row in rows
            ]
        )


def test_export_holds_everything_about_the_lead(bookings_env: BookingsEnv) -> None:
    ids = _seed_lena(bookings_env)
    with api_client(bookings_env.app.url, create_key(bookings_env.services, HOST_EMAIL)) as api:
        response = api.post("/leads/export", json={"email": "LENA@Example.com"})
        assert response.status_code == 200, response.text
        data = response.json()
        assert api.post("/leads/export", json={"email": "x"}).status_code == 400
    assert [booking["id"] for booking in data["bookings"]] == [str(i) for i in ids]
    first = data["bookings"][0]
    assert first["lead"]["lead_name"] == LENA_NAME and first["lead"]["lead_email"] == LENA
    assert first["lead"]["guests"] == [{"email": GUEST.email, "name": GUEST.name}]
    assert first["lead"]["answers"] == ANSWERS and first["lead"]["source"] == SOURCE
    assert first["lead"]["notes"] == "Looking forward to it."
    assert first["status"] == "scheduled" and first["google_event_link"]
    kinds = {entry["kind"] for entry in first["timeline"]}
    assert {"status_paid", "calendar_event_created", "mail_undeliverable"} <= kinds
    assert {(m["template"], m["to"]) for m in first["mails"]} >= {("booking_confirmed", LENA)}
    assert all(mail["to"] == LENA for mail in first["mails"])  # not the host's mails
    amounts = {(p["type"], p["amount_minor"]) for p in first["payments"]}
    assert ("charge.succeeded", 5000) in amounts
    assert "Otto" not in json.dumps(data)


def test_erasure_reaches_every_table_google_and_later_exports(
    bookings_env: BookingsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _seed_lena(bookings_env)
    before = _everything_stored(bookings_env, ids)
    assert all(text in before for text in (LENA, LENA_NAME, GUEST.email))
    assert all(
        GUEST.email in event["attendees"][1]["email"]
        for i in ids
        for event in bookings_env.events_of(i)
    )
    caplog.set_level(logging.DEBUG)
    caplog.clear()  # what was logged before the erasure is the operator's business
    with api_client(bookings_env.app.url, create_key(bookings_env.services, HOST_EMAIL)) as api:
        erased = api.post("/leads/erase", json={"email": LENA})
        assert erased.status_code == 200, erased.text
        assert erased.json()["bookings"] == 2
        assert erased.json()["counts"]["mails_cancelled"] >= 1
        assert erased.json()["counts"]["webhook_payloads_redacted"] == 1
        bookings_env.drain()

        after = _everything_stored(bookings_env, ids)
        for text in PERSONAL:
            assert text.lower() not in after.lower(), text
        with bookings_env.services.session_factory() as session:
            stored = session.scalars(select(Booking).where(Booking.id.in_(ids))).all()
            assert {b.lead_name for b in stored} == {ERASED_NAME}
            assert all(b.lead_erased_at and not b.guests and not b.answers for b in stored)
            payment = session.scalar(
                select(PaymentEvent).where(PaymentEvent.type == "charge.succeeded")
            )
            assert payment is not None and payment.amount_minor == 5000
            assert payment.payment_intent_id == f"pi_{ids[0].hex}"
            pending = session.scalars(
                select(Job).where(
                    Job.subject_key.in_([str(i) for i in ids]),
                    Job.kind.in_(["send_email", SEND_REMINDER]),
                    Job.status == JobStatus.QUEUED,
                )
            ).all()
            assert pending == []
            audit = session.scalars(select(LeadErasure)).all()
            assert len(audit) == 1 and sorted(audit[0].booking_ids) == sorted(map(str, ids))
            assert audit[0].actor.startswith("API key 'test key'")
            other = session.scalar(select(Booking).where(Booking.lead_email == "otto@example.com"))
            assert other is not None and other.lead_name == "Otto Other"

        # The Google events were patched through the calendar job: no name, no attendees.
        for booking_id in ids:
            (event,) = bookings_env.events_of(booking_id)
            assert not event.get("attendees")
            assert LENA_NAME not in event["summary"] and LENA not in event["description"]
            assert ERASED_NAME in event["summary"]

        # Nothing comes back: a fresh CSV export, a fresh data export, the logs.
        exported = api.get("/bookings/export").content.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert len(rows) == 3
        for text in PERSONAL:
            assert text not in exported, text
        assert api.post("/leads/export", json={"email": LENA}).json()["bookings"] == []
        assert LENA_NAME not in caplog.text and LENA not in caplog.text

        # Erasing again finds nothing, changes nothing, and is on the audit log too.
        again = api.post("/leads/erase", json={"email": LENA})
        assert again.status_code == 200 and again.json()["bookings"] == 0
    assert len(bookings_env.jobs(UPDATE_EVENT)) == 2
    assert _everything_stored(bookings_env, ids) == after


def test_dashboard_asks_for_the_address_before_erasing(bookings_env: BookingsEnv) -> None:
    ids = bookings_env.book(1, lead_name=LENA_NAME, lead_email=LENA)
    client: httpx.Client = bookings_env.app.client
    detail = client.get(f"/dashboard/bookings/{ids[0]}").text
    assert 'id="lead-erase"' in detail and "lead-erased" not in detail
    page = client.get("/dashboard/leads")
    assert page.status_code == 200 and "Lead e-mail" in page.text
    token = csrf_from(page.text)
    download = client.post("/dashboard/leads/export", data={"email": LENA, "csrf_token": token})
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.json()["bookings"][0]["id"] == str(ids[0])

    confirm = client.post(
        "/dashboard/leads/erase/confirm", data={"email": LENA, "csrf_token": token}
    )
    assert confirm.status_code == 200 and "1 booking by this address" in confirm.text
    wrong = client.post(
        "/dashboard/leads/erase",
        data={"email": LENA, "confirm_email": "lena@example.org", "csrf_token": token},
    )
    assert wrong.status_code == 422 and "nothing was erased" in wrong.text
    assert bookings_env.booking(ids[0]).lead_name == LENA_NAME
    refused = client.post("/dashboard/leads/erase", data={"email": LENA, "confirm_email": LENA})
    assert refused.status_code in (400, 403)
    assert bookings_env.booking(ids[0]).lead_name == LENA_NAME

    done = client.post(
        "/dashboard/leads/erase",
        data={"email": LENA, "confirm_email": LENA.upper(), "csrf_token": token},
    )
    assert done.status_code == 200 and "erased from 1 booking" in done.text
    assert bookings_env.booking(ids[0]).lead_name == ERASED_NAME
    detail = client.get(f"/dashboard/bookings/{ids[0]}").text
    assert 'id="lead-erased"' in detail and LENA not in detail and 'id="lead-erase"' not in detail
    assert f"{HOST_EMAIL} (dashboard)" in done.text  # the audit list names who erased
