"""Past bookings' rows in (bulk, shaped like the real flow's), old ones out (the retention job).

Why bulk rows rather than the flow itself: 50,000 bookings through the
webhook route and the worker would take most of an hour on two shared cores,
and what ``bench/scale.py`` asks is whether the *next* booking costs more
because of them. So each past booking gets what one real paid booking left
in the database (read off a run of the end-to-end flow: the lead holds a slot
with an Idempotency-Key, confirms, pays; the worker creates the event and
sends the mails): the booking (scheduled), its five timeline rows, the
payment event with a Stripe-shaped body, the stored idempotent answer of the
hold, and its jobs with one attempt each: create the event, two mails, two
reminders (run and mailed once their moment passed, still queued before).

Bookings were made uniformly over the last ``history_days`` and start 1 to
14 days after they were made, so the most recent ones are still ahead of us
with their reminders queued, as in a live system; the rest are older than
the retention settings, which is what the pruning run then shows.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from _harness import PRICE_MINOR, SeededHost, checkout_completed
from sqlalchemy import Engine, Table, insert, text

CHUNK = 1000
COUNTED_TABLES = (
    "bookings",
    "booking_events",
    "payment_events",
    "idempotency_keys",
    "jobs",
    "job_attempts",
)
REMINDER_MINUTES = (1440, 60)
LEAD_ZONE = "Europe/Paris"


def _job(
    rows: dict[Table, list[dict[str, Any]]],
    *,
    kind: str,
    payload: dict[str, Any],
    booking: dict[str, Any],
    dedupe_key: str,
    due: datetime,
    now: datetime,
    operation: str | None,
    message: str,
    max_attempts: int = 20,
) -> None:
    """One job about the booking; finished (with its attempt) when it was due before ``now``."""
    from leadscalendar.jobs.models import AttemptOutcome, Job, JobAttempt, JobStatus

    job_id = uuid.uuid4()
    done = due <= now
    finished = due + timedelta(milliseconds=400) if done else None
    rows[Job.__table__].append(  # type: ignore[index]
        {
            "id": job_id,
            "kind": kind,
            "payload": payload,
            "subject_key": str(booking["id"]),
            "host_id": booking["host_id"],
            "dedupe_key": dedupe_key,
            "status": JobStatus.SUCCEEDED if done else JobStatus.QUEUED,
            "attempts": 1 if done else 0,
            "max_attempts": max_attempts,
            "run_after": due,
            "finished_at": finished,
            "created_at": min(due, booking["paid_at"]),
            "updated_at": finished or booking["paid_at"],
        }
    )
    if finished is None:
        return
    rows[JobAttempt.__table__].append(  # type: ignore[index]
        {
            "id": uuid.uuid4(),
            "job_id": job_id,
            "number": 1,
            "lease_owner": f"bench:1/{job_id.hex[:12]}",
            "started_at": due + timedelta(milliseconds=100),
            "finished_at": finished,
            "operation": operation,
            "outcome": AttemptOutcome.SUCCEEDED,
            "http_status": 200 if operation == "events.insert" else None,
            "message": message,
            "latency_ms": 120,
        }
    )


def _mail(template: str, booking: dict[str, Any], host: SeededHost) -> dict[str, Any]:
    """A ``send_email`` payload of the size the real ones have (the rendered context)."""
    return {
        "template": template,
        "to": booking["lead_email"],
        "context": {
            "lead_name": booking["lead_name"],
            "lead_email": booking["lead_email"],
            "host_name": "Host",
            "booking_title": "Coaching session",
            "when": booking["start_at"].isoformat(),
            "duration": "60 minutes",
            "price": f"{PRICE_MINOR / 100:.2f} EUR",
            "refund_policy": "Cancel at least 24 hours before the start for a full refund.",
            "booking_id": str(booking["id"]),
            "language": "en",
        },
        "reply_to": host.email,
    }


def _booking(
    rows: dict[Table, list[dict[str, Any]]],
    host: SeededHost,
    index: int,
    made: datetime,
    start: datetime,
    now: datetime,
) -> None:
    """Every row one paid, scheduled booking made at ``made`` left behind."""
    from leadscalendar.bookings.job_kinds import CREATE_EVENT, SEND_REMINDER
    from leadscalendar.bookings.models import Booking, BookingEvent
    from leadscalendar.bookings.states import BookingStatus
    from leadscalendar.google.events import event_id_for
    from leadscalendar.idempotency.models import IdempotencyKey, Surface
    from leadscalendar.notifications import SEND_EMAIL
    from leadscalendar.payments.models import PaymentEvent, PaymentEventKind

    booking_id, session_id = uuid.uuid4(), f"cs_test_{uuid.uuid4().hex}"
    raw = checkout_completed(booking_id, session_id)
    event = json.loads(raw)
    paid = made + timedelta(minutes=2)
    event_id = event_id_for(booking_id)
    booking: dict[str, Any] = {
        "id": booking_id,
        "host_id": host.id,
        "booking_type_id": host.booking_type_id,
        "status": BookingStatus.SCHEDULED,
        "start_at": start,
        "end_at": start + timedelta(hours=1),
        "lead_time_zone": LEAD_ZONE,
        "lead_name": f"Past lead {index}",
        "lead_email": f"past{index}@example.com",
        "amount_minor": PRICE_MINOR,
        "currency": "eur",
        "checkout_session_id": session_id,
        "checkout_started_at": made + timedelta(seconds=30),
        "checkout_expires_at": made + timedelta(minutes=30),
        "checkout_livemode": False,
        "payment_intent_id": event["data"]["object"]["payment_intent"],
        "paid_at": paid,
        "google_calendar_id": "primary",
        "google_event_id": event_id,
        "google_event_link": f"https://www.google.com/calendar/event?eid={event_id}",
        "google_event_etag": '"3400000000000001"',
        "google_event_updated_at": paid + timedelta(seconds=1),
        "created_at": made,
        "updated_at": paid + timedelta(seconds=1),
    }
    rows[Booking.__table__].append(booking)  # type: ignore[index]
    timeline = [
        (made, "status_held", "slot held"),
        (made + timedelta(seconds=30), "status_awaiting_payment", f"checkout {session_id}"),
        (paid, "payment_succeeded", f"checkout.session.completed ({event['id']})"),
        (paid, "status_paid", "payment verified"),
        (paid + timedelta(seconds=1), "calendar_event_created", "event created"),
    ]
    rows[BookingEvent.__table__].extend(  # type: ignore[index]
        {"id": uuid.uuid4(), "booking_id": booking_id, "at": at, "kind": kind, "detail": detail}
        for at, kind, detail in timeline
    )
    rows[PaymentEvent.__table__].append(  # type: ignore[index]
        {
            "id": uuid.uuid4(),
            "provider": "stripe",
            "external_id": event["id"],
            "type": event["type"],
            "kind": PaymentEventKind.CHECKOUT_PAID,
            "booking_id": booking_id,
            "checkout_session_id": session_id,
            "payment_intent_id": booking["payment_intent_id"],
            "payment_status": "paid",
            "amount_minor": PRICE_MINOR,
            "currency": "eur",
            "livemode": False,
            "provider_created_at": paid,
            "received_at": paid,
            "raw": raw.decode(),
        }
    )
    rows[IdempotencyKey.__table__].append(  # type: ignore[index]
        {
            "id": uuid.uuid4(),
            "host_id": host.id,
            "surface": Surface.PUBLIC_API,
            "key": uuid.uuid4().hex,
            "request_hash": hashlib.sha256(booking_id.bytes).hexdigest(),
            "response_status": 201,
            "response_body": {
                "id": str(booking_id),
                "status": "held",
                "start": start.isoformat(),
                "end": booking["end_at"].isoformat(),
                "lead_time_zone": LEAD_ZONE,
                "lead_name": booking["lead_name"],
                "lead_email": booking["lead_email"],
                "booking_type": "Coaching session",
                "amount_minor": PRICE_MINOR,
                "currency": "eur",
                "hold_expires_at": (made + timedelta(minutes=30)).isoformat(),
            },
            "created_at": made,
        }
    )
    common = {"rows": rows, "booking": booking, "now": now}
    _job(
        **common,
        kind=CREATE_EVENT,
        payload={"booking_id": str(booking_id)},
        dedupe_key=f"{CREATE_EVENT}:{booking_id}",
        due=paid,
        operation="events.insert",
        message=f"created event {event_id}",
    )
    for template, key in (("booking_confirmed", "confirmed"), ("host_new_booking", "host_new")):
        _job(
            **common,
            kind=SEND_EMAIL,
            payload=_mail(template, booking, host),
            dedupe_key=f"mail:{key}:{booking_id}",
            due=paid,
            operation="smtp.send",
            message=f"{template} mail recorded, not sent (no SMTP configured)",
            max_attempts=100,
        )
    for minutes in REMINDER_MINUTES:
        due = start - timedelta(minutes=minutes)
        _job(
            **common,
            kind=SEND_REMINDER,
            payload={"booking_id": str(booking_id), "start": start.isoformat(), "minutes": minutes},
            dedupe_key=f"{SEND_REMINDER}:{booking_id}:0:{minutes}",
            due=due,
            operation=None,
            message=f"reminder {minutes} minutes before queued",
        )
        if due <= now:  # the reminder ran and queued its mail, which was sent
            _job(
                **common,
                kind=SEND_EMAIL,
                payload=_mail("booking_reminder", booking, host),
                dedupe_key=f"mail:reminder:{booking_id}:0:{minutes}",
                due=due,
                operation="smtp.send",
                message="booking_reminder mail recorded, not sent (no SMTP configured)",
                max_attempts=100,
            )


def fill_history(
    engine: Engine,
    hosts: list[SeededHost],
    count: int,
    *,
    now: datetime,
    history_days: float,
    first: int = 0,
    seed: int = 15,
) -> None:
    """Insert ``count`` past bookings (numbered from ``first``) round-robin over ``hosts``.

    One transaction per ``CHUNK`` bookings, tables in foreign-key order.
    """
    rng = random.Random(seed + first)
    for chunk_start in range(first, first + count, CHUNK):
        rows: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        for index in range(chunk_start, min(first + count, chunk_start + CHUNK)):
            made = now - timedelta(seconds=rng.uniform(0, history_days * 86400))
            start = (made + timedelta(days=rng.randint(1, 14))).replace(
                minute=0, second=0, microsecond=0
            )
            _booking(rows, hosts[index % len(hosts)], index, made, start, now)
        with engine.begin() as connection:
            for table in sorted(rows, key=_insert_order):
                connection.execute(insert(table), rows[table])


def _insert_order(table: Table) -> int:
    order = ("bookings", "booking_events", "payment_events", "idempotency_keys", "jobs")
    return order.index(table.name) if table.name in order else len(order)


def table_counts(reader: Engine) -> dict[str, int]:
    with reader.connect() as connection:
        return {
            name: int(connection.scalar(text(f"SELECT count(*) FROM {name}")) or 0)  # noqa: S608
            for name in COUNTED_TABLES
        }


def prune(services: Any, reader: Engine) -> dict[str, Any]:
    """The daily clean-up's body with the default settings, until it catches up."""
    from leadscalendar.db.base import utcnow
    from leadscalendar.db.session import unit_of_work
    from leadscalendar.retention import BATCH, RetentionPolicy

    policy = RetentionPolicy.from_settings(services.settings)
    before = table_counts(reader)
    runs, started = 0, time.monotonic()
    while True:
        with unit_of_work(services.session_factory) as session:
            deleted = policy.prune(session, utcnow())
        runs += 1
        if BATCH not in deleted:
            break
    seconds = time.monotonic() - started
    after = table_counts(reader)
    return {
        "policy": {
            "jobs_retention_days": policy.jobs_days,
            "idempotency_retention_hours": policy.idempotency_hours,
        },
        "batches": runs,
        "seconds": round(seconds, 2),
        "before": {key: before[key] for key in ("jobs", "job_attempts", "idempotency_keys")},
        "after": {key: after[key] for key in ("jobs", "job_attempts", "idempotency_keys")},
    }
