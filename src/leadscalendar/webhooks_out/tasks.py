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
from typing import Any

from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.google.tokens import TokenCipher
from leadscalendar.jobs import Effect, JobContext, JobRegistry, Outcome, Park, Retry, Succeeded
from leadscalendar.notifications.messages import MailTemplate
from leadscalendar.notifications.service import enqueue_mail
from leadscalendar.webhooks_out import repository, service
from leadscalendar.webhooks_out.models import DeliveryStatus
from leadscalendar.webhooks_out.sender import SendResult, WebhookSender
from leadscalendar.webhooks_out.signing import SecretCache, signature_headers

logger = logging.getLogger(__name__)

OPERATION = "webhook.post"
RETRIED_CLIENT_ERRORS = frozenset({408, 409, 429})
# A receiver's Retry-After beyond this is not believed (the retry window still ends).
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
PARK_REJECTED = "webhook_rejected"
PARK_GAVE_UP = "webhook_gave_up"
PARK_ADDRESS = "webhook_address_refused"
PARK_DISABLED = "webhook_endpoint_disabled"
# How stale an endpoint's last_success_at may be before a success writes it again.
SUCCESS_NOTED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class WebhookDependencies:
    settings: Settings
    cipher: TokenCipher
    sender: WebhookSender
    # Decrypted secrets by ciphertext: built from ``cipher`` when not given.
    secrets: SecretCache | None = None

    def __post_init__(self) -> None:
        if self.secrets is None:
            object.__setattr__(self, "secrets", SecretCache(self.cipher))


@dataclass(frozen=True)
class _Plan:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    booking_id: uuid.UUID
    url: str
    secrets: list[str]
    header_id: str
    body: str
    first_attempt_at: datetime | None
    failing_since: datetime | None
    last_success_at: datetime | None


def _plan(ctx: JobContext, deps: WebhookDependencies, delivery_id: uuid.UUID) -> _Plan | Outcome:
    # ctx.read() is a read-only transaction: on SQLite it neither waits for nor holds the
    # write lock.
    with ctx.read() as session:
        row = repository.delivery_plan(session, delivery_id)
    if row is None:
        return Succeeded("The delivery or its endpoint was deleted.")
    if row.status is not DeliveryStatus.PENDING:
        return Succeeded(f"The delivery is already {DeliveryStatus(row.status).value}.")
    skipped = _skip_reason(row.enabled, row.event_type, row.event_types)
    if skipped is not None:

        def skip(session: Session) -> None:
            service.finish_delivery(
                session,
                delivery_id,
                DeliveryStatus.SKIPPED,
                endpoint_id=row.endpoint_id,
                booking_id=row.booking_id,
                error=skipped,
            )

        return Succeeded(skipped, apply=skip)
    assert deps.secrets is not None
    secrets = deps.secrets.decrypt(row.secret_ciphertext)
    return _Plan(
        delivery_id=delivery_id,
        endpoint_id=row.endpoint_id,
        booking_id=row.booking_id,
        url=row.url,
        secrets=service.active_secrets(secrets, row.previous_secret_expires_at, utcnow()),
        header_id=service.message_header_id(row.message_id),
        body=json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False),
        first_attempt_at=row.first_attempt_at,
        failing_since=row.failing_since,
        last_success_at=row.last_success_at,
    )


def _skip_reason(enabled: bool, event_type: str, subscribed: list[str]) -> str | None:
    if not enabled:
        return "Not sent: the endpoint was disabled before its turn."
    if event_type not in subscribed:
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
    record = _Record(plan, result, started)
    if status is not None and 200 <= status < 300:
        return Succeeded(
            f"Delivered ({status}).",
            apply=_chain(record.finish(DeliveryStatus.DELIVERED), _succeeded(plan, started)),
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
            plan, record, PARK_DISABLED, disabled, status, also=_disable(plan.endpoint_id, disabled)
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
        apply=_chain(record.again, _failing(plan)),
    )


def _failed(
    plan: _Plan,
    record: _Record,
    code: str,
    reason: str,
    status: int | None,
    *,
    failing: bool = False,
    also: Effect | None = None,
) -> Park:
    effects = [record.finish(DeliveryStatus.FAILED, reason)]
    if failing:
        effects.append(_failing(plan))
    if also is not None:
        effects.append(also)
    return Park(code, reason, http_status=status, operation=OPERATION, apply=_chain(*effects))


def _chain(*effects: Effect) -> Effect:
    def apply(session: Session) -> None:
        for effect in effects:
            effect(session)

    return apply


@dataclass(frozen=True)
class _Record:
    """An attempt's writes: its log row, and the delivery's counters in the same UPDATE as
    its new state (one statement where there were a SELECT FOR UPDATE and two UPDATEs)."""

    plan: _Plan
    result: SendResult
    started: datetime

    def _columns(self) -> dict[str, Any]:
        code = self.result.status_code
        return repository.counted_attempt(self.started) | {
            "last_status_code": code,
            "last_error": self.result.error or (None if (code or 0) < 300 else f"HTTP {code}"),
        }

    def _log(self, session: Session) -> None:
        repository.add_attempt(
            session,
            delivery_id=self.plan.delivery_id,
            started_at=self.started,
            duration_ms=self.result.duration_ms,
            status_code=self.result.status_code,
            response_excerpt=self.result.excerpt,
            error=self.result.error,
        )

    def again(self, session: Session) -> None:
        """The delivery stays pending (a retry follows)."""
        if repository.update_delivery(session, self.plan.delivery_id, self._columns()):
            self._log(session)

    def finish(self, status: DeliveryStatus, error: str | None = None) -> Effect:
        def apply(session: Session) -> None:
            plan = self.plan
            if service.finish_delivery(
                session,
                plan.delivery_id,
                status,
                endpoint_id=plan.endpoint_id,
                booking_id=plan.booking_id,
                error=error,
                values=self._columns(),
            ):
                self._log(session)

        return apply


def _succeeded(plan: _Plan, now: datetime) -> Effect:
    """Note the success on the endpoint, unless it was noted a moment ago and all is well.

    Writing the endpoint's row on every delivery would serialise every delivery
    to that endpoint on its row lock; ``last_success_at`` is exact to
    ``SUCCESS_NOTED_EVERY`` instead. A failing endpoint is always cleared.
    """
    recent = plan.last_success_at is not None and now - plan.last_success_at < SUCCESS_NOTED_EVERY
    if plan.failing_since is None and recent:
        return _nothing

    def apply(session: Session) -> None:
        repository.mark_endpoint(session, plan.endpoint_id, succeeded=True, now=now)

    return apply


def _failing(plan: _Plan) -> Effect:
    if plan.failing_since is not None:
        return _nothing  # already failing: the first failure's time stays

    def apply(session: Session) -> None:
        repository.mark_endpoint(session, plan.endpoint_id, succeeded=False, now=utcnow())

    return apply


def _nothing(_session: Session) -> None:
    return None


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
