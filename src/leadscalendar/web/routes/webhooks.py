"""Webhook intake: verify in a dependency, record once, answer fast (DESIGN.md convention 4)."""

from __future__ import annotations

import logging
import time
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request, Response

from leadscalendar.calendar_sync import service as calendar_sync
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.logging import log_context
from leadscalendar.observability import metrics
from leadscalendar.payments import service as payments
from leadscalendar.payments.errors import WebhookVerificationError
from leadscalendar.payments.webhooks import VerifiedPaymentEvent, verify_stripe_webhook
from leadscalendar.services import Services
from leadscalendar.web.deps import ServicesDep

logger = logging.getLogger(__name__)

router = APIRouter()

# Stripe events are a few kilobytes; anything this large is not one of them.
MAX_WEBHOOK_BYTES = 1024 * 1024


async def verified_stripe_event(request: Request, services: ServicesDep) -> VerifiedPaymentEvent:
    """The verified event, or a 400 before any database work happens."""
    request.state.intake_started = time.perf_counter()
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
async def stripe_webhook(
    request: Request, event: VerifiedStripeEvent, services: ServicesDep
) -> dict[str, object]:
    """Record the event; duplicates are acknowledged with 200 so Stripe stops retrying.

    Async, with the whole transaction in one worker-thread call: a sync route
    with the request-scoped session costs three thread hops (open, run,
    commit) and keeps the host's lock across the last two; here the lock is
    released before the answer is written. At most ``webhook_concurrency``
    transactions run at once; the rest wait on the event loop, not in threads
    fighting over the GIL or SQLite's write lock.
    """
    limiter: anyio.CapacityLimiter = request.app.state.webhook_limiter
    with metrics.webhook_intake("stripe", request.state.intake_started) as intake:
        outcome = await anyio.to_thread.run_sync(_record, services, event, limiter=limiter)
        intake.result = outcome.value
    return {"received": True, "duplicate": outcome is payments.RecordOutcome.DUPLICATE}


def _record(services: Services, event: VerifiedPaymentEvent) -> payments.RecordOutcome:
    # The booking the checkout was for, when its metadata names one, on this event's lines.
    fields = {} if event.booking_id is None else {"booking_id": str(event.booking_id)}
    with log_context(**fields), unit_of_work(services.session_factory) as session:
        return payments.record_webhook_event(session, event, services.payment_event_handler)


@router.post("/webhooks/google/calendar", include_in_schema=False)
async def google_calendar_webhook(request: Request, services: ServicesDep) -> Response:
    """Google's "something changed" on a watched calendar: queue one sync, answer at once.

    The notification carries no event data and no signature: the channel id
    and the secret token we gave Google at ``events.watch`` are its proof,
    checked in constant time. Whatever the verdict the answer is an empty
    200, so Google stops retrying and a forger learns nothing; only a
    verified, new ``exists`` message changes anything (one deduplicated job).
    """
    notification = calendar_sync.Notification.from_headers(request.headers)
    limiter: anyio.CapacityLimiter = request.app.state.webhook_limiter
    verdict = await anyio.to_thread.run_sync(_notify, services, notification, limiter=limiter)
    logger.info("google calendar notification: %s", verdict)
    return Response(status_code=200)


def _notify(services: Services, notification: calendar_sync.Notification) -> str:
    with unit_of_work(services.session_factory) as session:
        return calendar_sync.receive_notification(session, notification, utcnow())
