"""Outbound webhooks in the served OpenAPI 3.1 document (its ``webhooks`` section).

Each booking event is an operation a host's receiver implements: a POST of
``WebhookEvent`` with the Standard Webhooks headers. FastAPI documents
``app.webhooks`` routes there and never serves them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Header

from leadscalendar.webhooks_out.models import EventType
from leadscalendar.webhooks_out.schemas import WebhookEvent

WHEN = {
    EventType.BOOKING_PAID: "A booking was paid (or a free one confirmed, or one approved).",
    EventType.BOOKING_SCHEDULED: "A paid booking's event is on the host's Google Calendar.",
    EventType.BOOKING_AWAITING_APPROVAL: "A booking waits for the host's approval.",
    EventType.BOOKING_RESCHEDULED: "A booking moved; ``data.previous_start`` is where it was.",
    EventType.BOOKING_CANCELLED: "The host or the lead cancelled a booking.",
    EventType.BOOKING_REFUNDED: "A payment that came too late for its slot was refunded.",
    EventType.BOOKING_DECLINED: "The host declined a booking awaiting approval.",
}
SIGNING = (
    "\n\nSigned per the Standard Webhooks specification: verify `webhook-signature` "
    "(`v1,<base64>`, space-separated during a secret rotation) over "
    "`{webhook-id}.{webhook-timestamp}.{body}` with the endpoint's `whsec_` secret, e.g. "
    "with the `standardwebhooks` library. `webhook-id` is the same on every retry: use it "
    "to drop duplicates. Answer 2xx quickly; timeouts, 5xx, 408, 409 and 429 are retried "
    "for three days (honouring `Retry-After`), other 4xx stop the retries. A booking's "
    "events arrive one at a time, in order."
)


def document_webhooks(app: FastAPI) -> None:
    for event_type in EventType:
        _document(app, event_type)


def _document(app: FastAPI, event_type: EventType) -> None:
    def receive(
        body: WebhookEvent,
        webhook_id: Annotated[str, Header(description="The message id, stable across retries.")],
        webhook_timestamp: Annotated[str, Header(description="Unix seconds of this attempt.")],
        webhook_signature: Annotated[str, Header(description="`v1,<base64>` signatures.")],
    ) -> None:
        """Implemented by the host's receiver, never served here."""

    app.webhooks.post(
        event_type.value,
        summary=event_type.value,
        description=WHEN[event_type] + SIGNING,
        operation_id=f"webhook_{event_type.name.lower()}",
        tags=["webhooks"],
        status_code=204,
        response_description="Any 2xx answer acknowledges the event.",
    )(receive)
