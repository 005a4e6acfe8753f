"""The outbound webhooks domain's operations: endpoints, events, deliveries, erasure.

Nothing here commits. ``emit`` runs in the transaction of the booking change
it reports, and enqueues the delivery jobs there (the outbox): the event
exists if and only if the change commits, and a crash after the commit
loses nothing. Deliveries of one booking to one endpoint go one at a time,
in the order of the booking's events: a delivery waits, without a job, until
the one before it has finished (``start_next``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.google.tokens import TokenCipher
from leadscalendar.jobs import enqueue
from leadscalendar.webhooks_out import repository
from leadscalendar.webhooks_out.addresses import check_endpoint_url
from leadscalendar.webhooks_out.errors import DeliveryNotFoundError, EndpointNotFoundError
from leadscalendar.webhooks_out.models import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from leadscalendar.webhooks_out.schemas import ERASED, EndpointIn, EndpointPatch
from leadscalendar.webhooks_out.signing import EndpointSecrets, generate_secret

DELIVER_WEBHOOK = "deliver_webhook"
# The fast phase (2 s .. 15 min backoff); after it, transient failures retry every
# 15-30 minutes until the retry window (settings.webhooks_retry_hours) closes.
DELIVERY_MAX_ATTEMPTS = 12
ERASED_LEAD: dict[str, Any] = {
    "name": ERASED,
    "email": ERASED,
    "time_zone": "",
    "language": "",
    "notes": "",
    "guests": [],
}
# What the lead told us beyond ``lead`` (intake answers, where they came from), erased to these.
ERASED_LEAD_DATA: dict[str, Any] = {"answers": [], "source": {}}


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def message_header_id(message_id: uuid.UUID) -> str:
    """The ``webhook-id`` of a message: the same on every retry and every resend."""
    return f"msg_{message_id.hex}"


def _check_url(settings: Settings, url: str) -> str:
    return check_endpoint_url(
        url,
        allow_private=settings.webhooks_private_addresses_allowed,
        require_https=settings.is_production,
    )


def create_endpoint(
    session: Session, cipher: TokenCipher, settings: Settings, host_id: uuid.UUID, body: EndpointIn
) -> CreatedEndpoint:
    """Subscribe a URL; its secret is returned here once and kept only encrypted."""
    url = _check_url(settings, body.url)
    secret = generate_secret()
    endpoint = WebhookEndpoint(
        host_id=host_id,
        url=url,
        description=body.description,
        event_types=[event.value for event in body.event_types],
        secret_ciphertext=EndpointSecrets(secret).encrypt(cipher),
        enabled=body.enabled,
        disabled_reason=None if body.enabled else "Disabled by you.",
        disabled_at=None if body.enabled else utcnow(),
    )
    session.add(endpoint)
    session.flush()
    return CreatedEndpoint(endpoint, secret)


def get_endpoint(session: Session, host_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = repository.get_endpoint(session, endpoint_id)
    if endpoint is None or endpoint.host_id != host_id:
        raise EndpointNotFoundError()
    return endpoint


def list_endpoints(session: Session, host_id: uuid.UUID) -> Sequence[WebhookEndpoint]:
    return repository.list_endpoints(session, host_id)


def update_endpoint(
    session: Session, settings: Settings, endpoint: WebhookEndpoint, patch: EndpointPatch
) -> WebhookEndpoint:
    """Change what is given; enabling again forgets the failures that disabled it."""
    if patch.url is not None:
        endpoint.url = _check_url(settings, patch.url)
    if patch.description is not None:
        endpoint.description = patch.description
    if patch.event_types is not None:
        endpoint.event_types = [event.value for event in patch.event_types]
    if patch.enabled is not None and patch.enabled != endpoint.enabled:
        set_enabled(endpoint, patch.enabled, reason="Disabled by you.")
    session.flush()
    return endpoint


def set_enabled(endpoint: WebhookEndpoint, enabled: bool, *, reason: str) -> None:
    endpoint.enabled = enabled
    if enabled:
        endpoint.disabled_reason = None
        endpoint.disabled_at = None
        endpoint.failing_since = None
    else:
        endpoint.disabled_reason = reason
        endpoint.disabled_at = utcnow()


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    """Remove it with its log; a delivery job already queued finds it gone and does nothing."""
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session, cipher: TokenCipher, settings: Settings, endpoint: WebhookEndpoint
) -> tuple[str, datetime | None]:
    """A new secret, returned once; the current one keeps signing for the overlap period."""
    old = EndpointSecrets.decrypt(cipher, endpoint.secret_ciphertext)
    secret = generate_secret()
    overlap = timedelta(hours=settings.webhooks_secret_overlap_hours)
    previous = old.current if overlap > timedelta(0) else None
    endpoint.secret_ciphertext = EndpointSecrets(secret, previous).encrypt(cipher)
    endpoint.previous_secret_expires_at = utcnow() + overlap if previous else None
    session.flush()
    return secret, endpoint.previous_secret_expires_at


def signing_secrets(cipher: TokenCipher, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during the overlap."""
    secrets = EndpointSecrets.decrypt(cipher, endpoint.secret_ciphertext)
    return active_secrets(secrets, endpoint.previous_secret_expires_at, now)


def active_secrets(
    secrets: EndpointSecrets, previous_expires_at: datetime | None, now: datetime
) -> list[str]:
    if secrets.previous and previous_expires_at is not None and now < previous_expires_at:
        return [secrets.current, secrets.previous]
    return [secrets.current]


def emit(
    session: Session,
    *,
    host_id: uuid.UUID,
    booking_id: uuid.UUID,
    event_type: EventType,
    data: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
) -> WebhookMessage | None:
    """Record a booking event and queue it to every enabled endpoint subscribed to it.

    Call in the transaction of the change, holding the booking's row lock (as
    every booking change does), which orders the booking's events. Nothing is
    stored when no endpoint listens. ``data`` may be a callable: the payload
    is then built only when an endpoint listens (most hosts have none, and
    the snapshot costs a load of the booking and its type).
    """
    endpoints = [
        endpoint
        for endpoint in repository.list_endpoints(session, host_id)
        if endpoint.enabled and event_type.value in endpoint.event_types
    ]
    if not endpoints:
        return None
    now = utcnow()
    message = WebhookMessage(
        host_id=host_id,
        booking_id=booking_id,
        sequence=repository.next_sequence(session, booking_id),
        event_type=event_type.value,
        payload={
            "type": event_type.value,
            "timestamp": now.isoformat(),
            "data": dict(data() if callable(data) else data),
        },
        created_at=now,
    )
    session.add(message)
    session.flush()
    _queue(session, [endpoint.id for endpoint in endpoints], message)
    return message


def _queue(
    session: Session, endpoint_ids: Sequence[uuid.UUID], message: WebhookMessage
) -> list[WebhookDelivery]:
    """One delivery per endpoint: started now, or waiting behind the booking's unfinished one."""
    busy = {
        delivery.endpoint_id
        for delivery in repository.lock_unfinished(session, endpoint_ids, message.booking_id)
    }
    deliveries = [
        WebhookDelivery(
            endpoint_id=endpoint_id,
            message_id=message.id,
            booking_id=message.booking_id,
            status=DeliveryStatus.WAITING,
            created_at=utcnow(),
        )
        for endpoint_id in endpoint_ids
    ]
    session.add_all(deliveries)
    session.flush()
    for delivery in deliveries:
        if delivery.endpoint_id not in busy:
            _start(session, delivery)
    return deliveries


def _start(session: Session, delivery: WebhookDelivery) -> None:
    delivery.status = DeliveryStatus.PENDING
    _enqueue_delivery(session, delivery.id)


def _enqueue_delivery(session: Session, delivery_id: uuid.UUID) -> None:
    # host_id stays unset: a delivery's failures belong to the endpoint's log and its
    # disable-and-mail rule, not to the host's operations page for booking jobs.
    enqueue(
        session,
        DELIVER_WEBHOOK,
        {"delivery_id": str(delivery_id)},
        subject_key=f"webhook_delivery:{delivery_id}",
        host_id=None,
        max_attempts=DELIVERY_MAX_ATTEMPTS,
    )


def finish_delivery(
    session: Session,
    delivery_id: uuid.UUID,
    status: DeliveryStatus,
    *,
    endpoint_id: uuid.UUID,
    booking_id: uuid.UUID,
    error: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> bool:
    """End a delivery and start the next one waiting behind it (same endpoint and booking).

    One UPDATE, with ``values`` (the attempt's columns) in it; it row-locks the
    delivery like ``emit``'s ``lock_unfinished`` does, so whichever of the two
    commits second sees the other's work. False if the delivery is gone.
    """
    finished: dict[str, Any] = {**(values or {}), "status": status, "finished_at": utcnow()}
    if error is not None:
        finished["last_error"] = error
    if not repository.update_delivery(session, delivery_id, finished):
        return False
    following = repository.next_waiting_id(session, endpoint_id, booking_id)
    if following is not None:
        repository.update_delivery(session, following, {"status": DeliveryStatus.PENDING})
        _enqueue_delivery(session, following)
    return True


def resend(
    session: Session,
    host_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    endpoint: WebhookEndpoint | None = None,
) -> WebhookDelivery:
    """Send again: the same message (same ``webhook-id``) as a new delivery, in turn.

    With ``endpoint``, the delivery must be one of that endpoint's. A disabled
    endpoint's resend is recorded and skipped when its turn comes.
    """
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or (endpoint is not None and delivery.endpoint_id != endpoint.id):
        raise DeliveryNotFoundError()
    endpoint = get_endpoint(session, host_id, delivery.endpoint_id)
    message = session.get(WebhookMessage, delivery.message_id)
    assert message is not None
    (queued,) = _queue(session, [endpoint.id], message)
    return queued


def list_deliveries(
    session: Session, endpoint: WebhookEndpoint, limit: int = 50
) -> list[tuple[WebhookDelivery, WebhookMessage, list[WebhookAttempt]]]:
    """The endpoint's latest deliveries, newest first, each with its attempts (oldest first)."""
    rows = repository.deliveries_of_endpoint(session, endpoint.id, max(1, min(limit, 200)))
    attempts = repository.attempts_of(session, [delivery.id for delivery, _ in rows])
    return [(delivery, message, attempts[delivery.id]) for delivery, message in rows]


def redact_lead(session: Session, booking_id: uuid.UUID) -> int:
    """Erase the lead's personal fields from every stored payload of a booking; return how many.

    For the erasure of a lead (the exports domain calls it in the erasure's
    transaction): delivered payloads are rewritten, and ones not yet sent go
    out erased, since a delivery reads its payload when it is sent. Receivers'
    answers are cleared too, as a receiver may echo what it got. A request
    already on the wire when the erasure commits still carries what it read.
    """
    messages = repository.messages_of_booking(session, booking_id)
    for message in messages:
        payload = dict(message.payload)
        data = dict(payload.get("data") or {})
        data["lead"] = dict(ERASED_LEAD)
        data.update({key: type(empty)() for key, empty in ERASED_LEAD_DATA.items()})
        payload["data"] = data
        message.payload = payload
    for attempt in repository.attempts_of_booking(session, booking_id):
        attempt.response_excerpt = ""
    session.flush()
    return len(messages)
