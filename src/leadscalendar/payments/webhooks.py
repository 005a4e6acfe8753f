"""Verifying Stripe webhooks and turning them into provider-neutral payment events.

Verification uses the SDK's ``WebhookSignature.verify_header`` (HMAC-SHA256
over ``"{t}.{body}"`` with the endpoint secret, plus a timestamp tolerance), always
on the raw request body: any re-serialisation would break the signature.
Nothing in this module touches the database; ``service.record_webhook_event``
does, after verification has succeeded.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import stripe
from sqlalchemy.orm import Session

from leadscalendar.payments.errors import WebhookVerificationError
from leadscalendar.payments.models import PaymentEventKind
from leadscalendar.payments.stripe import PROVIDER_NAME

#: Stripe's default: a signature older than five minutes is a replay.
WEBHOOK_TOLERANCE_SECONDS = 300
# Bounds of a believable event. A valid signature proves who sent a body, not that
# its fields fit our columns: an oversized value would fail the insert (a 500 on
# PostgreSQL, a silent truncation nowhere) instead of being refused up front.
MAX_ID_LENGTH = 255  # Stripe's documented maximum for object ids; our id columns
MAX_TYPE_LENGTH = 100
MAX_STATUS_LENGTH = 32
MAX_EVENT_AMOUNT = 10**12  # far above any charge Stripe accepts, far below BIGINT
# Stripe did not exist before 2010; an event from tomorrow is not one of its events.
EARLIEST_EVENT = datetime(2010, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)
_CURRENCY = re.compile(r"[a-z]{3}")

_CHECKOUT_KINDS = {
    "checkout.session.async_payment_succeeded": PaymentEventKind.ASYNC_SUCCEEDED,
    "checkout.session.async_payment_failed": PaymentEventKind.ASYNC_FAILED,
    "checkout.session.expired": PaymentEventKind.CHECKOUT_EXPIRED,
}
_REFUND_TYPES = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refunded"}
    | {"charge.refund.updated"}
)


@dataclass(frozen=True)
class VerifiedPaymentEvent:
    """A webhook event whose signature and timestamp have been checked.

    ``kind`` is what bookings act on; ``type`` and ``data_object`` keep the
    provider's own words for anything the normalisation does not cover.
    """

    provider: str
    event_id: str
    type: str
    kind: PaymentEventKind
    booking_id: uuid.UUID | None
    checkout_session_id: str | None
    payment_intent_id: str | None
    payment_status: str | None
    amount_minor: int | None
    currency: str | None
    livemode: bool
    created_at: datetime | None
    data_object: Mapping[str, Any]
    raw: str


class PaymentEventHandler(Protocol):
    """Called once per NEW event, inside the transaction that records it.

    Raising rolls the recording back too, so the provider redelivers and the
    handler gets another chance; a handler must therefore be safe to rerun
    after a rollback (it is never called twice for a committed event).
    """

    def __call__(self, session: Session, event: VerifiedPaymentEvent) -> None: ...


class NoopPaymentEventHandler:
    """The default until the bookings domain registers its handler: record only."""

    def __call__(self, session: Session, event: VerifiedPaymentEvent) -> None:
        return None


def verify_stripe_webhook(
    payload: bytes,
    signature_header: str | None,
    secret: str,
    *,
    tolerance_seconds: int = WEBHOOK_TOLERANCE_SECONDS,
) -> VerifiedPaymentEvent:
    """Check the ``Stripe-Signature`` header against the raw body and parse the event.

    Raises ``WebhookVerificationError`` for a missing or forged signature, a
    timestamp outside the tolerance, or a body that is not a Stripe event.
    """
    if not signature_header:
        raise WebhookVerificationError("Missing Stripe-Signature header.")
    try:
        raw = payload.decode("utf-8")
    except UnicodeDecodeError:
        # Stripe signs text; bytes that are not UTF-8 cannot carry a valid signature.
        raise WebhookVerificationError("Webhook rejected: malformed event body.") from None
    try:
        # The SDK's check alone (HMAC and tolerance): ``Webhook.construct_event`` would
        # also build a ``StripeObject`` tree that nothing here reads, at about a third
        # of the intake's verification CPU; the body is parsed once, below.
        stripe.WebhookSignature.verify_header(raw, signature_header, secret, tolerance_seconds)
    except stripe.SignatureVerificationError as exc:
        reason = "stale timestamp" if "tolerance" in str(exc) else "invalid signature"
        raise WebhookVerificationError(f"Webhook rejected: {reason}.") from None
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        # The signature is checked first, so this is an authentic body that is not
        # JSON (or nested beyond the parser's depth): still nothing to record.
        raise WebhookVerificationError("Webhook rejected: malformed event body.") from None
    return normalize_stripe_event(document, raw)


def normalize_stripe_event(
    document: Any, raw: str, *, now: datetime | None = None
) -> VerifiedPaymentEvent:
    """Map a Stripe event document onto ``VerifiedPaymentEvent``.

    Refuses (``WebhookVerificationError``, a 400) an event whose fields are not
    what Stripe sends: ids longer than Stripe's 255 characters, a currency that
    is not three lowercase letters, an amount or ``created`` out of all reason.
    """
    if not isinstance(document, dict) or document.get("object") != "event":
        raise WebhookVerificationError("Webhook rejected: not a Stripe event object.")
    event_id, event_type = document.get("id"), document.get("type")
    data = document.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise WebhookVerificationError("Webhook rejected: event has no id or type.")
    if not isinstance(obj, dict):
        raise WebhookVerificationError("Webhook rejected: event has no data.object.")
    _check_shape(document, obj, now or datetime.now(UTC))
    is_session = obj.get("object") == "checkout.session"
    raw_metadata = obj.get("metadata")
    metadata: Mapping[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    booking_ref = obj.get("client_reference_id") if is_session else None
    return VerifiedPaymentEvent(
        provider=PROVIDER_NAME,
        event_id=event_id,
        type=event_type,
        kind=_kind(event_type, obj),
        booking_id=_uuid(booking_ref) or _uuid(metadata.get("booking_id")),
        checkout_session_id=_str(obj.get("id")) if is_session else None,
        payment_intent_id=_payment_intent_id(obj),
        payment_status=_str(obj.get("payment_status")) if is_session else _str(obj.get("status")),
        amount_minor=_int(obj.get(_amount_key(obj))),
        currency=_str(obj.get("currency")),
        livemode=document.get("livemode") is True,
        created_at=_timestamp(document.get("created")),
        data_object=obj,
        raw=raw,
    )


def _check_shape(document: Mapping[str, Any], obj: Mapping[str, Any], now: datetime) -> None:
    """Every field we store fits its column and is believable, or the event is refused."""
    lengths = {
        "id": (document.get("id"), MAX_ID_LENGTH),
        "type": (document.get("type"), MAX_TYPE_LENGTH),
        "data.object.id": (obj.get("id"), MAX_ID_LENGTH),
        "payment_intent": (_payment_intent_value(obj), MAX_ID_LENGTH),
        "payment_status": (obj.get("payment_status"), MAX_STATUS_LENGTH),
        "status": (obj.get("status"), MAX_STATUS_LENGTH),
    }
    for name, (value, limit) in lengths.items():
        if value is not None and not (isinstance(value, str) and len(value) <= limit):
            raise WebhookVerificationError(f"Webhook rejected: {name} is not a plausible value.")
    currency = obj.get("currency")
    if currency is not None and not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        raise WebhookVerificationError("Webhook rejected: currency is not an ISO 4217 code.")
    key = _amount_key(obj)
    amount = obj.get(key)
    if amount is not None and not (_int(amount) is not None and abs(amount) <= MAX_EVENT_AMOUNT):
        raise WebhookVerificationError(f"Webhook rejected: {key} is not a plausible amount.")
    created = document.get("created")
    if created is not None and not (
        _int(created) is not None
        and EARLIEST_EVENT.timestamp() <= created <= (now + CLOCK_SKEW).timestamp()
    ):
        raise WebhookVerificationError("Webhook rejected: created is not a plausible time.")


def _amount_key(obj: Mapping[str, Any]) -> str:
    return "amount_total" if obj.get("object") == "checkout.session" else "amount"


def _payment_intent_value(obj: Mapping[str, Any]) -> Any:
    value = obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    return value.get("id") if isinstance(value, dict) else value


def _kind(event_type: str, obj: Mapping[str, Any]) -> PaymentEventKind:
    if event_type == "checkout.session.completed":
        # Delayed methods (SEPA, bank debits) complete the session before the money arrives.
        if obj.get("payment_status") in ("paid", "no_payment_required"):
            return PaymentEventKind.CHECKOUT_PAID
        return PaymentEventKind.CHECKOUT_AWAITING_ASYNC
    if event_type in _REFUND_TYPES:
        return PaymentEventKind.REFUND_UPDATED
    return _CHECKOUT_KINDS.get(event_type, PaymentEventKind.OTHER)


def _payment_intent_id(obj: Mapping[str, Any]) -> str | None:
    if obj.get("object") == "payment_intent":
        return _str(obj.get("id"))
    value = obj.get("payment_intent")
    if isinstance(value, dict):  # expanded
        return _str(value.get("id"))
    return _str(value)


def _uuid(value: Any) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _timestamp(value: Any) -> datetime | None:
    number = _int(value)
    return datetime.fromtimestamp(number, UTC) if number is not None else None
