"""``/_sandbox/``: drive and inspect the sandbox from tests, without a browser.

Session actions have the same effect as the hosted page's buttons; deliveries
show every webhook attempt with the status code the endpoint answered.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Body, HTTPException, Request

from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from leadscalendar.sandbox.payments.store import JSON, Fault, SandboxStateError

router = APIRouter(prefix="/_sandbox")

SessionAction = Literal[
    "pay", "decline", "expire", "complete-unpaid", "async-succeed", "async-fail"
]


def _sandbox(request: Request) -> PaymentsSandbox:
    sandbox: PaymentsSandbox = request.app.state.payments_sandbox
    return sandbox


def _session_view(sandbox: PaymentsSandbox, session_id: str) -> JSON:
    record = sandbox.store.session(session_id)
    return {
        **copy.deepcopy(record.obj),
        "line_items": copy.deepcopy(record.line_items),
        "payment_intent_metadata": dict(record.payment_intent_metadata),
        "declines": record.declines,
    }


@router.get("/sessions")
def list_sessions(request: Request) -> list[JSON]:
    sandbox = _sandbox(request)
    with sandbox.store.lock:
        return [_session_view(sandbox, sid) for sid in sandbox.store.sessions]


@router.get("/sessions/{session_id}")
def get_session(request: Request, session_id: str) -> JSON:
    try:
        return _session_view(_sandbox(request), session_id)
    except SandboxStateError as exc:
        raise HTTPException(404, exc.message) from None


@router.post("/sessions/{session_id}/{action}")
def act_on_session(request: Request, session_id: str, action: SessionAction) -> JSON:
    store = _sandbox(request).store
    operations: dict[str, Callable[[str], JSON]] = {
        "pay": store.pay,
        "decline": store.decline,
        "expire": store.expire,
        "complete-unpaid": store.complete_unpaid,
        "async-succeed": lambda sid: store.settle_async(sid, succeeded=True),
        "async-fail": lambda sid: store.settle_async(sid, succeeded=False),
    }
    try:
        return operations[action](session_id)
    except SandboxStateError as exc:
        raise HTTPException(404 if exc.code == "resource_missing" else 409, exc.message) from None


@router.get("/payment_intents")
def list_payment_intents(request: Request) -> list[JSON]:
    store = _sandbox(request).store
    with store.lock:
        return copy.deepcopy(list(store.payment_intents.values()))


@router.get("/refunds")
def list_refunds(request: Request) -> list[JSON]:
    store = _sandbox(request).store
    with store.lock:
        return copy.deepcopy(list(store.refunds.values()))


@router.get("/events")
def list_events(request: Request) -> list[JSON]:
    sandbox = _sandbox(request)
    with sandbox.store.lock:
        events = copy.deepcopy(list(sandbox.store.events.values()))
    outcomes = dict(sandbox.deliverer.outcomes)
    return [{**event, "delivery": outcomes.get(event["id"], "pending")} for event in events]


@router.get("/deliveries")
def list_deliveries(request: Request) -> JSON:
    deliverer = _sandbox(request).deliverer
    return {**deliverer.status(), "attempts": deliverer.history()}


@router.post("/redeliver/{event_id}")
def redeliver(request: Request, event_id: str) -> JSON:
    """Send an event again (same id, same body, fresh signature), as Stripe's "Resend" does."""
    sandbox = _sandbox(request)
    try:
        event = sandbox.store.event(event_id)
    except SandboxStateError as exc:
        raise HTTPException(404, exc.message) from None
    sandbox.deliverer.enqueue(event)
    return {"queued": event_id}


@router.post("/delivery/pause")
def pause(request: Request) -> JSON:
    deliverer = _sandbox(request).deliverer
    deliverer.pause()
    return deliverer.status()


@router.post("/delivery/resume")
def resume(request: Request, order: Literal["queued", "reverse"] = "queued") -> JSON:
    """Release held events, optionally newest first: Stripe does not guarantee order."""
    deliverer = _sandbox(request).deliverer
    deliverer.resume(reverse=order == "reverse")
    return deliverer.status()


@router.post("/webhook-endpoint")
def set_webhook_endpoint(
    request: Request, url: Annotated[str | None, Body(embed=True)] = None
) -> JSON:
    deliverer = _sandbox(request).deliverer
    deliverer.set_url(url)
    return deliverer.status()


@router.post("/faults")
def inject_fault(
    request: Request,
    status: Annotated[int, Body(embed=True, ge=400, le=599)],
    count: Annotated[int, Body(embed=True, ge=0)] = 1,
    after_work: Annotated[bool, Body(embed=True)] = False,
) -> JSON:
    """Answer the next ``count`` API requests with ``status`` (5xx, 429...).

    ``after_work``: do the work first (create, replay), then answer with the
    fault, as when Stripe acted but its answer was lost on the way back.
    """
    store = _sandbox(request).store
    with store.lock:
        store.fault = Fault(status=status, remaining=count, after_work=after_work)
    return {"status": status, "count": count, "after_work": after_work}


@router.post("/reset")
def reset(request: Request) -> JSON:
    _sandbox(request).reset()
    return {"reset": True}
