"""Payment operations that touch the database. Services never commit: the boundary does."""

from __future__ import annotations

import enum
import json
import logging
import re
import uuid
from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadscalendar.payments import repository
from leadscalendar.payments.models import PaymentEvent
from leadscalendar.payments.webhooks import PaymentEventHandler, VerifiedPaymentEvent

logger = logging.getLogger(__name__)

# A Checkout Session carries our success and cancel URLs, and they carry the
# booking's signed link token (``?token=...``): whoever reads the log must not
# get a working "see, cancel, reschedule" link from it. Plain, JSON-escaped and
# URL-encoded query separators alike.
BOOKING_LINK_TOKEN = re.compile(r"((?:[?&]|\\u0026|%3[fF]|%26)token(?:=|%3[dD]))[^\"&\s\\%]+")
REDACTED = "[redacted]"


def without_booking_tokens(raw: str) -> str:
    """The provider payload as stored: the same text with every booking-link token masked."""
    return BOOKING_LINK_TOKEN.sub(lambda match: match.group(1) + REDACTED, raw)


class RecordOutcome(enum.StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"


def record_webhook_event(
    session: Session, event: VerifiedPaymentEvent, handler: PaymentEventHandler
) -> RecordOutcome:
    """Append a verified event to the log and, only if it is new, let ``handler`` act on it.

    Redeliveries and replays find the row already there and change nothing; the
    handler runs in the same transaction as the insert, so the state change and
    its log row commit (or roll back) together.
    """
    row = {
        "provider": event.provider,
        "external_id": event.event_id,
        "type": event.type,
        "kind": event.kind,
        "booking_id": event.booking_id,
        "checkout_session_id": event.checkout_session_id,
        "payment_intent_id": event.payment_intent_id,
        "payment_status": event.payment_status,
        "amount_minor": event.amount_minor,
        "currency": event.currency,
        "livemode": event.livemode,
        "provider_created_at": event.created_at,
        "raw": without_booking_tokens(event.raw),
    }
    if not repository.insert_event_once(session, row):
        logger.info("payment event %s (%s) already recorded", event.event_id, event.type)
        return RecordOutcome.DUPLICATE
    logger.info("payment event %s (%s) recorded as %s", event.event_id, event.type, event.kind)
    handler(session, event)
    return RecordOutcome.NEW


def redact_events_of(session: Session, booking_ids: Collection[uuid.UUID]) -> int:
    """Keep of these bookings' payment events only what the law asks us to keep.

    The one sanctioned change to the append-only log (a lead's erasure): the
    provider's full payload (``raw``, which may hold the payer's name, e-mail and
    address) becomes a stub naming the event; the amount, currency, dates and
    provider ids stay in their columns. A Core UPDATE, so the ORM's append-only
    guard (``models._refuse_update``), there for accidental changes, is not involved.
    """
    if not booking_ids:
        return 0
    rows = session.execute(
        select(PaymentEvent.id, PaymentEvent.external_id, PaymentEvent.type).where(
            PaymentEvent.booking_id.in_(list(booking_ids))
        )
    ).all()
    for event_id, external_id, kind in rows:
        stub = json.dumps({"id": external_id, "type": kind, "redacted": "personal data erased"})
        session.execute(update(PaymentEvent).where(PaymentEvent.id == event_id).values(raw=stub))
    return len(rows)
