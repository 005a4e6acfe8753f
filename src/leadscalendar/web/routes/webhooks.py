"""Webhook intake: verify in a dependency, record once, answer fast (DESIGN.md convention 4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from leadscalendar.payments import service as payments
from leadscalendar.payments.errors import WebhookVerificationError
from leadscalendar.payments.webhooks import VerifiedPaymentEvent, verify_stripe_webhook
from leadscalendar.web.deps import DbSession, ServicesDep

router = APIRouter()

# Stripe events are a few kilobytes; anything this large is not one of them.
MAX_WEBHOOK_BYTES = 1024 * 1024


async def verified_stripe_event(request: Request, services: ServicesDep) -> VerifiedPaymentEvent:
    """The verified event, or a 400 before any database work happens."""
    payload = await request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise WebhookVerificationError("Webhook rejected: body too large.", status_code=413)
    return verify_stripe_webhook(
        payload,
        request.headers.get("stripe-signature"),
        services.settings.stripe_webhook_secret,
    )


VerifiedStripeEvent = Annotated[VerifiedPaymentEvent, Depends(verified_stripe_event)]


@router.post("/webhooks/stripe", include_in_schema=False)
def stripe_webhook(
    event: VerifiedStripeEvent, session: DbSession, services: ServicesDep
) -> dict[str, object]:
    """Record the event; duplicates are acknowledged with 200 so Stripe stops retrying."""
    outcome = payments.record_webhook_event(session, event, services.payment_event_handler)
    # End the transaction (it holds the host's lock) before FastAPI serialises the
    # answer on a worker thread: see the public API's ``_answer``.
    session.commit()
    return {"received": True, "duplicate": outcome is payments.RecordOutcome.DUPLICATE}
