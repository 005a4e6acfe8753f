"""The sandbox's in-memory Stripe account: sessions, payment intents, refunds, events.

Objects are kept in Stripe's own JSON shape, so what the API returns and what
webhooks carry is exactly what the real service would send for the subset we
use. One lock serialises every change; events are handed to the delivery
worker after the change is made.
"""

from __future__ import annotations

import copy
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_ALPHABET = string.ascii_letters + string.digits

JSON = dict[str, Any]


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class SandboxStateError(Exception):
    """An action that the object's current state does not allow (a 400 on the wire)."""

    def __init__(self, message: str, code: str = "invalid_state", param: str | None = None):
        super().__init__(message)
        self.message, self.code, self.param = message, code, param


class SandboxNotFoundError(SandboxStateError):
    def __init__(self, kind: str, object_id: str, param: str | None = None) -> None:
        super().__init__(f"No such {kind}: '{object_id}'", "resource_missing", param)


@dataclass
class SessionRecord:
    """A session object plus what Stripe keeps beside it but does not return by default."""

    obj: JSON
    line_items: list[JSON]
    payment_intent_metadata: dict[str, str]
    declines: int = 0


@dataclass
class IdempotentResult:
    method: str
    path: str
    fingerprint: tuple[tuple[str, str], ...]
    status: int
    body: JSON


@dataclass
class Fault:
    status: int
    remaining: int
    # After the work is done: the caller never hears that it succeeded (a lost answer).
    after_work: bool = False


@dataclass
class Store:
    """The account. ``emit`` receives every new event object, after the state change."""

    api_version: str
    emit: Callable[[JSON], None]
    clock: Callable[[], float] = time.time
    lock: threading.RLock = field(default_factory=threading.RLock)
    sessions: dict[str, SessionRecord] = field(default_factory=dict)
    payment_intents: dict[str, JSON] = field(default_factory=dict)
    refunds: dict[str, JSON] = field(default_factory=dict)
    events: dict[str, JSON] = field(default_factory=dict)
    idempotency: dict[str, IdempotentResult] = field(default_factory=dict)
    fault: Fault | None = None

    def reset(self) -> None:
        with self.lock:
            for table in (self.sessions, self.payment_intents, self.refunds, self.events):
                table.clear()
            self.idempotency.clear()
            self.fault = None

    def now(self) -> int:
        return int(self.clock())

    # -- faults -----------------------------------------------------------------

    def take_fault(self, *, after_work: bool = False) -> int | None:
        """The status to fail the next API request with, if a fault of that kind is armed."""
        with self.lock:
            fault = self.fault
            if fault is None or fault.remaining <= 0 or fault.after_work is not after_work:
                return None
            fault.remaining -= 1
            return fault.status

    # -- checkout sessions ----------------------------------------------------------

    def add_session(self, record: SessionRecord) -> JSON:
        with self.lock:
            self.sessions[record.obj["id"]] = record
            return copy.deepcopy(record.obj)

    def session(self, session_id: str) -> SessionRecord:
        with self.lock:
            self._expire_if_due(session_id)
            record = self.sessions.get(session_id)
            if record is None:
                raise SandboxNotFoundError("checkout.session", session_id)
            return record

    def snapshot(self, session_id: str) -> JSON:
        with self.lock:
            return copy.deepcopy(self.session(session_id).obj)

    def pay(self, session_id: str) -> JSON:
        """The lead paid by card: complete + paid, then ``checkout.session.completed``."""
        with self.lock:
            record = self._open_session(session_id)
            intent = self._new_payment_intent(record, status="succeeded")
            self._complete(record, intent, payment_status="paid")
            return self._emit_session("checkout.session.completed", record)

    def complete_unpaid(self, session_id: str) -> JSON:
        """A delayed method (bank debit): complete but unpaid; the money comes later or never."""
        with self.lock:
            record = self._open_session(session_id)
            intent = self._new_payment_intent(record, status="processing")
            self._complete(record, intent, payment_status="unpaid")
            return self._emit_session("checkout.session.completed", record)

    def settle_async(self, session_id: str, *, succeeded: bool) -> JSON:
        with self.lock:
            record = self.session(session_id)
            intent = self.payment_intents.get(record.obj.get("payment_intent") or "")
            if intent is None or intent["status"] != "processing":
                raise SandboxStateError("This session has no pending delayed payment.")
            if succeeded:
                intent["status"] = "succeeded"
                record.obj["payment_status"] = "paid"
                kind = "checkout.session.async_payment_succeeded"
            else:
                intent["status"] = "requires_payment_method"
                kind = "checkout.session.async_payment_failed"
            return self._emit_session(kind, record)

    def decline(self, session_id: str) -> JSON:
        """A declined card: nothing changes but a counter; Checkout lets the lead retry."""
        with self.lock:
            record = self._open_session(session_id)
            record.declines += 1
            return copy.deepcopy(record.obj)

    def expire(self, session_id: str) -> JSON:
        """Stripe's ``/expire``: only an open session can be expired; the lead can no longer pay."""
        with self.lock:
            record = self.session(session_id)
            status = record.obj["status"]
            if status != "open":
                raise SandboxStateError(
                    'Only Checkout Sessions with a status in ["open"] can be expired. '
                    f"This Checkout Session has a status of `{status}`.",
                    "session_not_open",
                )
            return self._expire(record)

    def expire_due(self) -> int:
        """Expire every open session whose ``expires_at`` has passed; returns how many."""
        with self.lock:
            due = [sid for sid in self.sessions if self._expire_if_due(sid)]
            return len(due)

    def _expire_if_due(self, session_id: str) -> bool:
        record = self.sessions.get(session_id)
        if record is None or record.obj["status"] != "open":
            return False
        if record.obj["expires_at"] > self.now():
            return False
        self._expire(record)
        return True

    def _expire(self, record: SessionRecord) -> JSON:
        record.obj.update(status="expired", url=None)
        return self._emit_session("checkout.session.expired", record)

    def _open_session(self, session_id: str) -> SessionRecord:
        record = self.session(session_id)
        if record.obj["status"] != "open":
            raise SandboxStateError(
                f"This Checkout Session is {record.obj['status']}, not open.", "session_not_open"
            )
        return record

    def _new_payment_intent(self, record: SessionRecord, *, status: str) -> JSON:
        intent = {
            "id": new_id("pi_"),
            "object": "payment_intent",
            "amount": record.obj["amount_total"],
            "amount_received": record.obj["amount_total"] if status == "succeeded" else 0,
            "currency": record.obj["currency"],
            "created": self.now(),
            "livemode": False,
            "metadata": dict(record.payment_intent_metadata),
            "status": status,
            "amount_refunded": 0,
        }
        self.payment_intents[intent["id"]] = intent
        return intent

    def _complete(self, record: SessionRecord, intent: JSON, *, payment_status: str) -> None:
        record.obj.update(
            status="complete",
            payment_status=payment_status,
            payment_intent=intent["id"],
            url=None,
            customer_details={"email": record.obj.get("customer_email")},
        )

    def _emit_session(self, event_type: str, record: SessionRecord) -> JSON:
        self._emit(event_type, record.obj)
        return copy.deepcopy(record.obj)

    # -- refunds -------------------------------------------------------------------

    def refund(self, payment_intent_id: str, amount: int | None, metadata: dict[str, str]) -> JSON:
        """Refund a succeeded payment intent, in full or in part, then ``refund.created``."""
        with self.lock:
            intent = self.payment_intents.get(payment_intent_id)
            if intent is None:
                raise SandboxNotFoundError("payment_intent", payment_intent_id, "payment_intent")
            if intent["status"] != "succeeded":
                raise SandboxStateError(
                    f"PaymentIntent {payment_intent_id} does not have a successful charge to "
                    "refund.",
                    "charge_not_refundable",
                    "payment_intent",
                )
            remaining = intent["amount"] - intent["amount_refunded"]
            if remaining <= 0:
                raise SandboxStateError(
                    f"Charge for {payment_intent_id} has already been refunded.",
                    "charge_already_refunded",
                )
            amount = remaining if amount is None else amount
            if amount <= 0 or amount > remaining:
                raise SandboxStateError(
                    f"Refund amount ({amount}) is greater than unrefunded amount ({remaining}).",
                    "amount_too_large",
                    "amount",
                )
            intent["amount_refunded"] += amount
            refund = {
                "id": new_id("re_"),
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "created": self.now(),
                "metadata": metadata,
                "payment_intent": payment_intent_id,
                "reason": None,
                "status": "succeeded",
            }
            self.refunds[refund["id"]] = refund
            self._emit("refund.created", refund)
            return copy.deepcopy(refund)

    # -- events ----------------------------------------------------------------------

    def _emit(self, event_type: str, obj: JSON) -> None:
        event: JSON = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": self.api_version,
            "created": self.now(),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        self.events[event["id"]] = event
        self.emit(event)

    def event(self, event_id: str) -> JSON:
        with self.lock:
            event = self.events.get(event_id)
            if event is None:
                raise SandboxNotFoundError("event", event_id)
            return event
