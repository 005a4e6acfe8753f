"""Signed webhook delivery with retries, in one background thread.

Signatures follow Stripe's scheme exactly: ``Stripe-Signature: t=<unix>,v1=<hex>``
where the hex is HMAC-SHA256 of ``"<t>.<body>"`` keyed with the endpoint's
``whsec_...`` secret. Every attempt is signed afresh, as Stripe does, so a
retry hours later still passes a five-minute tolerance.

One thread delivers one event at a time in queue order, which makes ordering
tests deterministic; pausing lets events pile up and ``resume(reverse=True)``
releases them newest first, because Stripe does not promise any order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from leadscalendar.sandbox.payments.config import PaymentsSandboxConfig

logger = logging.getLogger(__name__)

JSON = dict[str, Any]


def sign_payload(payload: str, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` at ``timestamp``."""
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class _Pending:
    event: JSON
    attempt: int = 0
    next_at: float = 0.0


@dataclass
class WebhookDeliverer:
    """Queue, sign and POST events to the configured endpoint, retrying with backoff."""

    config: PaymentsSandboxConfig
    webhook_url: str | None
    clock: Callable[[], float] = time.time
    on_idle: Callable[[], object] = lambda: None
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _queue: list[_Pending] = field(default_factory=list)
    _in_flight: int = 0
    _paused: bool = False
    _stopped: bool = False
    _thread: threading.Thread | None = None
    attempts: list[JSON] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="payments-sandbox-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.config.delivery_timeout_seconds + 1)

    def enqueue(self, event: JSON) -> None:
        """Schedule one delivery of ``event`` (a redelivery is simply another enqueue)."""
        with self._cond:
            self._queue.append(_Pending(event=event))
            self.outcomes[event["id"]] = "pending"
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            self._paused = True

    def resume(self, *, reverse: bool = False) -> None:
        with self._cond:
            if reverse:
                self._queue.reverse()
            self._paused = False
            self._cond.notify_all()

    def set_url(self, url: str | None) -> None:
        with self._cond:
            self.webhook_url = url
            self._cond.notify_all()

    def reset(self) -> None:
        with self._cond:
            self._queue.clear()
            self.attempts.clear()
            self.outcomes.clear()
            self._paused = False

    def status(self) -> JSON:
        with self._cond:
            return {
                "paused": self._paused,
                "queued": len(self._queue),
                "in_flight": self._in_flight,
                "webhook_url": self.webhook_url,
            }

    def history(self) -> list[JSON]:
        with self._cond:
            return [dict(attempt) for attempt in self.attempts]

    # -- the worker ---------------------------------------------------------------

    def _run(self) -> None:
        next_sweep = 0.0
        with httpx.Client(timeout=self.config.delivery_timeout_seconds) as client:
            while True:
                if self.clock() >= next_sweep:
                    self.on_idle()
                    next_sweep = self.clock() + self.config.expiry_sweep_seconds
                stopped, item = self._take(wait_until=next_sweep)
                if stopped:
                    return
                if item is not None:
                    self._deliver(client, item)

    def _take(self, wait_until: float) -> tuple[bool, _Pending | None]:
        """(stopped, the next due delivery or None after a short wait)."""
        with self._cond:
            if self._stopped:
                return True, None
            now = self.clock()
            if not self._paused and self.webhook_url:
                for index, item in enumerate(self._queue):
                    if item.next_at <= now:
                        self._in_flight += 1
                        return False, self._queue.pop(index)
            due = [item.next_at for item in self._queue if item.next_at > now]
            wake = min([wait_until, *due])
            self._cond.wait(timeout=max(0.01, min(wake - now, 0.25)))
            return False, None

    def _deliver(self, client: httpx.Client, item: _Pending) -> None:
        url = self.webhook_url
        item.attempt += 1
        payload = json.dumps(item.event, indent=2)
        signature = sign_payload(payload, self.config.webhook_secret, int(self.clock()))
        status: int | None = None
        error: str | None = None
        try:
            response = client.post(
                url or "",
                content=payload.encode(),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": signature,
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
            )
            status = response.status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        succeeded = status is not None and 200 <= status < 300
        with self._cond:
            self._in_flight -= 1
            self.attempts.append(
                {
                    "event_id": item.event["id"],
                    "type": item.event["type"],
                    "attempt": item.attempt,
                    "url": url,
                    "status_code": status,
                    "error": error,
                    "at": self.clock(),
                }
            )
            if succeeded:
                self.outcomes[item.event["id"]] = "succeeded"
            elif item.attempt >= self.config.delivery_max_attempts:
                self.outcomes[item.event["id"]] = "failed"
                logger.warning(
                    "gave up delivering %s after %d attempts", item.event["id"], item.attempt
                )
            else:
                backoff = self.config.delivery_initial_backoff_seconds * 2 ** (item.attempt - 1)
                item.next_at = self.clock() + min(backoff, self.config.delivery_max_backoff_seconds)
                self._queue.append(item)
            self._cond.notify_all()
