"""Push delivery: POST an empty body with Google's headers to a channel's address.

Runs on its own thread so the API call that caused a change never waits on a
receiver. Like Google, a 500/502/503/504 answer or a failed connection is
retried with exponential backoff a few times; any other answer ends the
attempt. A notification whose channel was stopped or expired in the meantime
is dropped: nothing is delivered after expiry.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import formatdate
from typing import Any

import httpx

RETRY_STATUSES = frozenset({500, 502, 503, 504})
SEND_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Notification:
    channel_id: str
    address: str
    token: str | None
    expiration_ms: int
    resource_id: str
    resource_uri: str
    state: str
    number: int
    attempt: int = 1

    def headers(self) -> dict[str, str]:
        """Exactly the headers Google's push messages carry (the token only when set)."""
        headers = {
            "X-Goog-Channel-ID": self.channel_id,
            "X-Goog-Channel-Expiration": formatdate(self.expiration_ms / 1000, usegmt=True),
            "X-Goog-Resource-ID": self.resource_id,
            "X-Goog-Resource-URI": self.resource_uri,
            "X-Goog-Resource-State": self.state,
            "X-Goog-Message-Number": str(self.number),
        }
        if self.token is not None:
            headers["X-Goog-Channel-Token"] = self.token
        return headers


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    first_delay_seconds: float = 0.2


class PushDelivery:
    """A due-time queue drained by one background thread, started on first use."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._is_live: Callable[[str], bool] = lambda _channel_id: True
        self._order = itertools.count()
        self.reset()

    def bind(self, is_live: Callable[[str], bool]) -> None:
        self._is_live = is_live

    def reset(self) -> None:
        with self._cond:
            self._queue: list[tuple[float, int, Notification]] = []
            self.policy = RetryPolicy()
            self._log: dict[str, list[dict[str, Any]]] = {}
            self._counts: Counter[str] = Counter()
            self._cond.notify_all()

    def submit(self, notification: Notification, delay: float = 0.0) -> None:
        with self._cond:
            due = time.monotonic() + delay
            heapq.heappush(self._queue, (due, next(self._order), notification))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="google-sandbox-push", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _next_due(self) -> Notification:
        with self._cond:
            while True:
                if self._queue:
                    wait = self._queue[0][0] - time.monotonic()
                    if wait <= 0:
                        return heapq.heappop(self._queue)[2]
                    self._cond.wait(timeout=wait)
                else:
                    self._cond.wait()

    def _run(self) -> None:
        with httpx.Client(timeout=SEND_TIMEOUT_SECONDS) as client:
            while True:
                notification = self._next_due()
                if not self._is_live(notification.channel_id):
                    self._record(notification, "dropped: channel stopped or expired")
                    continue
                self._send(client, notification)

    def _send(self, client: httpx.Client, notification: Notification) -> None:
        try:
            status = client.post(
                notification.address, headers=notification.headers(), content=b""
            ).status_code
            outcome = str(status)
            retry = status in RETRY_STATUSES
        except httpx.HTTPError as exc:
            outcome, retry = f"error: {type(exc).__name__}", True
        self._record(notification, outcome)
        if retry and notification.attempt < self.policy.max_attempts:
            delay = self.policy.first_delay_seconds * 2 ** (notification.attempt - 1)
            self.submit(replace(notification, attempt=notification.attempt + 1), delay)

    def _record(self, notification: Notification, outcome: str) -> None:
        with self._cond:
            self._counts["sent" if outcome[:1].isdigit() else outcome.partition(":")[0]] += 1
            self._log.setdefault(notification.channel_id, []).append(
                {
                    "number": notification.number,
                    "state": notification.state,
                    "attempt": notification.attempt,
                    "outcome": outcome,
                }
            )

    # -- control ----------------------------------------------------------------

    def log_of(self, channel_id: str) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._log.get(channel_id, []))

    def describe(self) -> dict[str, Any]:
        with self._cond:
            return {
                "pending": len(self._queue),
                "counts": dict(self._counts),
                "max_attempts": self.policy.max_attempts,
                "first_retry_delay_seconds": self.policy.first_delay_seconds,
            }

    def configure(self, max_attempts: int | None, first_delay: float | None) -> None:
        with self._cond:
            if max_attempts is not None:
                self.policy.max_attempts = max_attempts
            if first_delay is not None:
                self.policy.first_delay_seconds = first_delay
