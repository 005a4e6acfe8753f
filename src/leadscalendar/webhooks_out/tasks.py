"""The delivery job: sign, POST, and decide (delivered, retry, or stop) from the answer.

Per the jobs package's three steps: read the delivery (rolled back), send
with no transaction open, then return an outcome whose effects write the
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

import enum
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

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


class WebhookParkCode(enum.StrEnum):
    """Why a delivery job stopped (the delivery failed; the next one goes)."""

    # The receiver refused this message (a 4xx other than 408, 409, 429).
    REJECTED = "webhook_rejected"
    # Retried for ``webhooks_retry_hours`` without a success.
    GAVE_UP = "webhook_gave_up"
    # The SSRF guard refused the endpoint's address.
    ADDRESS_REFUSED = "webhook_address_refused"
    # The endpoint had no success for ``webhooks_disable_after_hours``: disabled.
    ENDPOINT_DISABLED = "webhook_endpoint_disabled"


PARK_REJECTED = WebhookParkCode.REJECTED
PARK_GAVE_UP = WebhookParkCode.GAVE_UP
PARK_ADDRESS = WebhookParkCode.ADDRESS_REFUSED
PARK_DISABLED = WebhookParkCode.ENDPOINT_DISABLED
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
        skip = SkipDelivery(delivery_id, row.endpoint_id, row.booking_id, skipped)
        return Succeeded(skipped, effects=(skip,))
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
            effects=(FinishDelivery(record, DeliveryStatus.DELIVERED), *_succeeded(plan, started)),
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
            record,
            PARK_DISABLED,
            disabled,
            status,
            also=DisableEndpoint(plan.endpoint_id, disabled),
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
        effects=(DeliveryPending(record), *_failing(plan)),
    )


def _failed(
    plan: _Plan,
    record: _Record,
    code: WebhookParkCode,
    reason: str,
    status: int | None,
    *,
    failing: bool = False,
    also: Effect | None = None,
) -> Park:
    effects: tuple[Effect, ...] = (FinishDelivery(record, DeliveryStatus.FAILED, reason),)
    if failing:
        effects += _failing(plan)
    if also is not None:
        effects += (also,)
    return Park(code, reason, http_status=status, operation=OPERATION, effects=effects)


@dataclass(frozen=True)
class _Record:
    """An attempt's writes: its log row, and the delivery's counters in the same UPDATE as
    its new state (one statement where there were a SELECT FOR UPDATE and two UPDATEs)."""

    plan: _Plan
    result: SendResult
    started: datetime

    def columns(self) -> dict[str, Any]:
        code = self.result.status_code
        return repository.counted_attempt(self.started) | {
            "last_status_code": code,
            "last_error": self.result.error or (None if (code or 0) < 300 else f"HTTP {code}"),
        }

    def log(self, session: Session) -> None:
        repository.add_attempt(
            session,
            delivery_id=self.plan.delivery_id,
            started_at=self.started,
            duration_ms=self.result.duration_ms,
            status_code=self.result.status_code,
            response_excerpt=self.result.excerpt,
            error=self.result.error,
        )


@dataclass(frozen=True)
class DeliveryPending:
    """The attempt is logged and counted; the delivery stays pending (a retry follows)."""

    name: ClassVar[str] = "webhook.delivery_pending"
    record: _Record

    def apply(self, session: Session) -> None:
        if repository.update_delivery(session, self.record.plan.delivery_id, self.record.columns()):
            self.record.log(session)


@dataclass(frozen=True)
class FinishDelivery:
    """The attempt is logged and the delivery ends with ``status`` (the next one goes)."""

    name: ClassVar[str] = "webhook.finish_delivery"
    record: _Record
    status: DeliveryStatus
    error: str | None = None

    def apply(self, session: Session) -> None:
        plan = self.record.plan
        if service.finish_delivery(
            session,
            plan.delivery_id,
            self.status,
            endpoint_id=plan.endpoint_id,
            booking_id=plan.booking_id,
            error=self.error,
            values=self.record.columns(),
        ):
            self.record.log(session)


@dataclass(frozen=True)
class SkipDelivery:
    """The delivery is skipped (its endpoint was disabled or unsubscribed meanwhile)."""

    name: ClassVar[str] = "webhook.skip_delivery"
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    booking_id: uuid.UUID
    reason: str

    def apply(self, session: Session) -> None:
        service.finish_delivery(
            session,
            self.delivery_id,
            DeliveryStatus.SKIPPED,
            endpoint_id=self.endpoint_id,
            booking_id=self.booking_id,
            error=self.reason,
        )


@dataclass(frozen=True)
class MarkEndpoint:
    """Note a success (or the start of failing) on the endpoint's row."""

    name: ClassVar[str] = "webhook.mark_endpoint"
    endpoint_id: uuid.UUID
    succeeded: bool
    at: datetime

    def apply(self, session: Session) -> None:
        repository.mark_endpoint(session, self.endpoint_id, succeeded=self.succeeded, now=self.at)


def _succeeded(plan: _Plan, now: datetime) -> tuple[Effect, ...]:
    """Note the success on the endpoint, unless it was noted a moment ago and all is well.

    Writing the endpoint's row on every delivery would serialise every delivery
    to that endpoint on its row lock; ``last_success_at`` is exact to
    ``SUCCESS_NOTED_EVERY`` instead. A failing endpoint is always cleared.
    """
    recent = plan.last_success_at is not None and now - plan.last_success_at < SUCCESS_NOTED_EVERY
    if plan.failing_since is None and recent:
        return ()
    return (MarkEndpoint(plan.endpoint_id, succeeded=True, at=now),)


def _failing(plan: _Plan) -> tuple[Effect, ...]:
    if plan.failing_since is not None:
        return ()  # already failing: the first failure's time stays
    return (MarkEndpoint(plan.endpoint_id, succeeded=False, at=utcnow()),)


@dataclass(frozen=True)
class DisableEndpoint:
    """Disable the endpoint and mail its host, once (an endpoint already disabled is left)."""

    name: ClassVar[str] = "webhook.disable_endpoint"
    endpoint_id: uuid.UUID
    reason: str

    def apply(self, session: Session) -> None:
        endpoint = repository.get_endpoint(session, self.endpoint_id, for_update=True)
        if endpoint is None or not endpoint.enabled:
            return
        service.set_enabled(endpoint, False, reason=self.reason)
        host = accounts_repository.get_host(session, endpoint.host_id)
        if host is None:
            return
        assert endpoint.disabled_at is not None
        enqueue_mail(
            session,
            template=MailTemplate.WEBHOOK_ENDPOINT_DISABLED,
            to=host.email,
            context={"host_name": host.name, "url": endpoint.url, "reason": self.reason},
            dedupe_key=f"mail:webhook_disabled:{endpoint.id}:{endpoint.disabled_at.isoformat()}",
            subject_key=f"webhook_endpoint:{endpoint.id}",
            host_id=host.id,
        )
        logger.warning("webhook.endpoint_disabled endpoint_id=%s", endpoint.id)


def register_webhook_tasks(registry: JobRegistry, deps: WebhookDependencies) -> JobRegistry:
    registry.register(service.DELIVER_WEBHOOK, lambda ctx: deliver_webhook(ctx, deps))
    return registry
