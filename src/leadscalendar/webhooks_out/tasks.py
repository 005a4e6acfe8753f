"""The delivery job: sign, POST, and decide (delivered, retry, or stop) from the answer.

Per the jobs package's three steps: read the delivery (rolled back), send
with no transaction open, then return an outcome whose ``apply`` writes the
attempt, the delivery's new state and the next waiting delivery's job in
the transaction that records the job's outcome.

What the answer means (the issue's rules, Standard Webhooks' advice):

- 2xx: delivered.
- 4xx other than 408, 409 and 429: the receiver refuses this message (410
  gone, 401 unauthorised, ...): stop, the delivery failed; the next one goes.
- timeouts, connection failures, 5xx, 408, 409, 429 and other answers: retry
  with backoff (``Retry-After`` honoured) for ``webhooks_retry_hours``
  (3 days), then the delivery failed.
- an endpoint that has had no success for ``webhooks_disable_after_hours``
  is disabled at its next failure and the host is mailed; what waits for it
  is skipped.
- an address the SSRF guard refuses: failed at once.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.google.tokens import TokenCipher
from leadscalendar.jobs import Effect, JobContext, JobRegistry, Outcome, Park, Retry, Succeeded
from leadscalendar.notifications.messages import MailTemplate
from leadscalendar.notifications.service import enqueue_mail
from leadscalendar.webhooks_out import repository, service
from leadscalendar.webhooks_out.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from leadscalendar.webhooks_out.sender import SendResult, WebhookSender
from leadscalendar.webhooks_out.signing import signature_headers

logger = logging.getLogger(__name__)

OPERATION = "webhook.post"
RETRIED_CLIENT_ERRORS = frozenset({408, 409, 429})
# A receiver's Retry-After beyond this is not believed (the retry window still ends).
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
PARK_REJECTED = "webhook_rejected"
PARK_GAVE_UP = "webhook_gave_up"
PARK_ADDRESS = "webhook_address_refused"
PARK_DISABLED = "webhook_endpoint_disabled"


@dataclass(frozen=True)
class WebhookDependencies:
    settings: Settings
    cipher: TokenCipher
    sender: WebhookSender


@dataclass(frozen=True)
class _Plan:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secrets: list[str]
    header_id: str
    body: str
    first_attempt_at: datetime | None
    failing_since: datetime | None


def _plan(ctx: JobContext, deps: WebhookDependencies, delivery_id: uuid.UUID) -> _Plan | Outcome:
    with ctx.read() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return Succeeded("The delivery or its endpoint was deleted.")
        if delivery.status is not DeliveryStatus.PENDING:
            return Succeeded(f"The delivery is already {delivery.status.value}.")
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        message = session.get(WebhookMessage, delivery.message_id)
        assert endpoint is not None and message is not None
        skipped = _skip_reason(endpoint, message)
        if skipped is not None:
            return Succeeded(skipped, apply=_finish(delivery_id, DeliveryStatus.SKIPPED, skipped))
        return _Plan(
            delivery_id=delivery_id,
            endpoint_id=endpoint.id,
            url=endpoint.url,
            secrets=service.signing_secrets(deps.cipher, endpoint, utcnow()),
            header_id=service.message_header_id(message.id),
            body=json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False),
            first_attempt_at=delivery.first_attempt_at,
            failing_since=endpoint.failing_since,
        )


def _skip_reason(endpoint: WebhookEndpoint, message: WebhookMessage) -> str | None:
    if not endpoint.enabled:
        return "Not sent: the endpoint was disabled before its turn."
    if message.event_type not in endpoint.event_types:
        return "Not sent: the endpoint no longer subscribes to this event."
    return None


def deliver_webhook(ctx: JobContext, deps: WebhookDependencies) -> Outcome:
    """Send one delivery's message; see the module docstring for what each answer means."""
    plan = _plan(ctx, deps, uuid.UUID(str(ctx.job.payload["delivery_id"])))
    if not isinstance(plan, _Plan):
        return plan
    started = utcnow()
    headers = signature_headers(plan.header_id, plan.body, plan.secrets, at=started)
    try:
        result = deps.sender.post(plan.url, plan.body.encode(), headers)
    except Exception as error:  # a bug must not leave the booking's later events stuck
        logger.exception("webhook.send_failed delivery_id=%s", plan.delivery_id)
        result = SendResult(duration_ms=0, error=f"Sending failed: {type(error).__name__}")
    return _decide(plan, result, started, deps.settings)


def _decide(plan: _Plan, result: SendResult, started: datetime, settings: Settings) -> Outcome:
    status = result.status_code
    record = _record(plan, result, started)
    if status is not None and 200 <= status < 300:
        return Succeeded(
            f"Delivered ({status}).",
            apply=_chain(
                record, _succeeded(plan), _finish(plan.delivery_id, DeliveryStatus.DELIVERED)
            ),
            operation=OPERATION,
            http_status=status,
        )
    if result.refused_address:
        reason = result.error or "The endpoint's address is not allowed."
        return _failed(plan, record, PARK_ADDRESS, reason, status)
    if status is not None and 400 <= status < 500 and status not in RETRIED_CLIENT_ERRORS:
        reason = f"The receiver answered {status}; this message is not sent again."
        return _failed(plan, record, PARK_REJECTED, reason, status, failing=True)
    reason = result.error or f"The receiver answered {status}."
    failing_since = plan.failing_since or started
    if started - failing_since >= timedelta(hours=settings.webhooks_disable_after_hours):
        disabled = (
            f"Disabled after failing since {failing_since:%Y-%m-%d %H:%M} UTC; "
            f"the last try said: {reason}"
        )
        return _failed(
            plan,
            _chain(record, _disable(plan.endpoint_id, disabled)),
            PARK_DISABLED,
            disabled,
            status,
        )
    first = plan.first_attempt_at or started
    if started - first >= timedelta(hours=settings.webhooks_retry_hours):
        gave_up = f"Gave up after retrying since {first:%Y-%m-%d %H:%M} UTC: {reason}"
        return _failed(plan, record, PARK_GAVE_UP, gave_up, status, failing=True)
    retry_after = result.retry_after
    return Retry(
        reason,
        retry_after=None if retry_after is None else min(retry_after, MAX_RETRY_AFTER_SECONDS),
        http_status=status,
        operation=OPERATION,
        transient=True,
        apply=_chain(record, _failing(plan.endpoint_id)),
    )


def _failed(
    plan: _Plan,
    record: Effect,
    code: str,
    reason: str,
    status: int | None,
    *,
    failing: bool = False,
) -> Park:
    effects = [record, _finish(plan.delivery_id, DeliveryStatus.FAILED, reason)]
    if failing:
        effects.append(_failing(plan.endpoint_id))
    return Park(code, reason, http_status=status, operation=OPERATION, apply=_chain(*effects))


def _chain(*effects: Effect) -> Effect:
    def apply(session: Session) -> None:
        for effect in effects:
            effect(session)

    return apply


def _record(plan: _Plan, result: SendResult, started: datetime) -> Effect:
    def apply(session: Session) -> None:
        delivery = repository.lock_delivery(session, plan.delivery_id)
        if delivery is None:
            return
        delivery.attempt_count += 1
        delivery.first_attempt_at = delivery.first_attempt_at or started
        delivery.last_status_code = result.status_code
        delivery.last_error = result.error or (
            None if (result.status_code or 0) < 300 else f"HTTP {result.status_code}"
        )
        session.add(
            WebhookAttempt(
                delivery_id=plan.delivery_id,
                started_at=started,
                duration_ms=result.duration_ms,
                status_code=result.status_code,
                response_excerpt=result.excerpt,
                error=result.error,
            )
        )

    return apply


def _finish(delivery_id: uuid.UUID, status: DeliveryStatus, error: str | None = None) -> Effect:
    def apply(session: Session) -> None:
        service.finish_delivery(session, delivery_id, status, error=error)

    return apply


def _succeeded(plan: _Plan) -> Effect:
    def apply(session: Session) -> None:
        endpoint = repository.get_endpoint(session, plan.endpoint_id, for_update=True)
        if endpoint is not None:
            endpoint.last_success_at = utcnow()
            endpoint.failing_since = None

    return apply


def _failing(endpoint_id: uuid.UUID) -> Effect:
    def apply(session: Session) -> None:
        endpoint = repository.get_endpoint(session, endpoint_id, for_update=True)
        if endpoint is not None and endpoint.failing_since is None:
            endpoint.failing_since = utcnow()

    return apply


def _disable(endpoint_id: uuid.UUID, reason: str) -> Effect:
    """Disable the endpoint and mail its host, once (an endpoint already disabled is left)."""

    def apply(session: Session) -> None:
        endpoint = repository.get_endpoint(session, endpoint_id, for_update=True)
        if endpoint is None or not endpoint.enabled:
            return
        service.set_enabled(endpoint, False, reason=reason)
        host = accounts_repository.get_host(session, endpoint.host_id)
        if host is None:
            return
        assert endpoint.disabled_at is not None
        enqueue_mail(
            session,
            template=MailTemplate.WEBHOOK_ENDPOINT_DISABLED,
            to=host.email,
            context={"host_name": host.name, "url": endpoint.url, "reason": reason},
            dedupe_key=f"mail:webhook_disabled:{endpoint.id}:{endpoint.disabled_at.isoformat()}",
            subject_key=f"webhook_endpoint:{endpoint.id}",
            host_id=host.id,
        )
        logger.warning("webhook.endpoint_disabled endpoint_id=%s", endpoint.id)

    return apply


def register_webhook_tasks(registry: JobRegistry, deps: WebhookDependencies) -> JobRegistry:
    registry.register(service.DELIVER_WEBHOOK, lambda ctx: deliver_webhook(ctx, deps))
    return registry
