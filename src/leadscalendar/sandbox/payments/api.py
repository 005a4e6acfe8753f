"""The Stripe REST subset: ``/v1/checkout/sessions`` and ``/v1/refunds``, form-encoded in,
Stripe-shaped JSON out, secret-key auth and ``Idempotency-Key`` replay."""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from leadscalendar.sandbox.payments.forms import FormError, fingerprint, parse_stripe_form
from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from leadscalendar.sandbox.payments.store import (
    JSON,
    IdempotentResult,
    SandboxStateError,
    SessionRecord,
    new_id,
)

router = APIRouter(prefix="/v1")

MIN_LIFETIME, MAX_LIFETIME = 30 * 60, 24 * 3600
SESSION_PARAMS = frozenset(
    {
        "mode",
        "line_items",
        "success_url",
        "cancel_url",
        "expires_at",
        "metadata",
        "client_reference_id",
        "customer_email",
        "payment_intent_data",
        "payment_method_types",
        "locale",
        "expand",
    }
)
REFUND_PARAMS = frozenset({"payment_intent", "amount", "metadata", "reason", "expand"})
_CURRENCY = re.compile(r"[a-z]{3}")


class ParamError(Exception):
    def __init__(self, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


def stripe_error(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> JSONResponse:
    error: JSON = {"type": type_, "message": message}
    if param is not None:
        error["param"] = param
    if code is not None:
        error["code"] = code
    return JSONResponse({"error": error}, status_code=status, headers=_request_id())


def _request_id() -> dict[str, str]:
    return {"Request-Id": new_id("req_", 14)}


def _sandbox(request: Request) -> PaymentsSandbox:
    sandbox: PaymentsSandbox = request.app.state.payments_sandbox
    return sandbox


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(credential).decode().partition(":")[0]
        except ValueError:
            return None
    return credential if scheme.lower() == "bearer" else None


def masked_key(key: str) -> str:
    """The key as Stripe quotes it in errors: its prefix, stars, and its last four."""
    prefix, _, rest = key.rpartition("_")
    if not prefix:
        return "*" * len(key)
    return f"{prefix}_{'*' * max(len(rest) - 4, 0)}{rest[-4:]}"


async def _guard(request: Request) -> Response | None:
    """Auth and injected faults, answered before any work, as Stripe's edge would."""
    sandbox = _sandbox(request)
    credential = _credential(request)
    if credential is None:
        return stripe_error(401, "You did not provide an API key.")
    if not hmac.compare_digest(credential.encode(), sandbox.config.api_key.encode()):
        # Stripe quotes the wrong key back, masked: a developer's text, never a lead's.
        return stripe_error(401, f"Invalid API Key provided: {masked_key(credential)}")
    status = sandbox.store.take_fault()
    if status is not None:
        return stripe_error(status, "Injected sandbox fault.", type_="api_error")
    return None


async def _idempotent(request: Request, create: Callable[[JSON], JSON]) -> Response:
    """Run ``create(params)`` at most once per Idempotency-Key; replay the saved answer."""
    refused = await _guard(request)
    if refused is not None:
        return refused
    sandbox = _sandbox(request)
    body = await request.body()
    key = request.headers.get("idempotency-key")
    with sandbox.store.lock:
        response = _run_once(sandbox, request, body, key, create)
    lost = sandbox.store.take_fault(after_work=True)
    if lost is not None:
        return stripe_error(lost, "Injected sandbox fault after the work.", type_="api_error")
    return response


def _run_once(
    sandbox: PaymentsSandbox,
    request: Request,
    body: bytes,
    key: str | None,
    create: Callable[[JSON], JSON],
) -> Response:
    saved = sandbox.store.idempotency.get(key) if key else None
    if saved is not None:
        if (saved.method, saved.path, saved.fingerprint) != (
            request.method,
            request.url.path,
            fingerprint(body),
        ):
            return stripe_error(
                400,
                "Keys for idempotent requests can only be used with the same parameters "
                f"they were first used with. Try using a key other than '{key}' if you "
                "meant to execute a different request.",
                type_="idempotency_error",
            )
        headers = {**_request_id(), "Idempotent-Replayed": "true"}
        return JSONResponse(saved.body, status_code=saved.status, headers=headers)
    try:
        result = create(parse_stripe_form(body))
    except FormError as exc:
        return stripe_error(400, str(exc), param=exc.param)
    except ParamError as exc:
        return stripe_error(400, exc.message, param=exc.param, code=exc.code)
    except SandboxStateError as exc:
        status = 404 if exc.code == "resource_missing" else 400
        return stripe_error(status, exc.message, param=exc.param, code=exc.code)
    if key:
        sandbox.store.idempotency[key] = IdempotentResult(
            request.method, request.url.path, fingerprint(body), 200, result
        )
    return JSONResponse(result, headers=_request_id())


@router.post("/checkout/sessions")
async def create_session(request: Request) -> Response:
    sandbox = _sandbox(request)
    base = (sandbox.config.public_url or str(request.base_url)).rstrip("/")
    return await _idempotent(request, lambda params: _create_session(sandbox, base, params))


@router.get("/checkout/sessions/{session_id}")
async def retrieve_session(request: Request, session_id: str) -> Response:
    refused = await _guard(request)
    if refused is not None:
        return refused
    try:
        return JSONResponse(_sandbox(request).store.snapshot(session_id), headers=_request_id())
    except SandboxStateError as exc:
        return stripe_error(404, exc.message, param="session", code=exc.code)


@router.post("/checkout/sessions/{session_id}/expire")
async def expire_session(request: Request, session_id: str) -> Response:
    store = _sandbox(request).store
    return await _idempotent(request, lambda _params: store.expire(session_id))


@router.post("/refunds")
async def create_refund(request: Request) -> Response:
    sandbox = _sandbox(request)
    return await _idempotent(request, lambda params: _create_refund(sandbox, params))


def _create_session(sandbox: PaymentsSandbox, base: str, params: JSON) -> JSON:
    _reject_unknown(params, SESSION_PARAMS)
    if params.get("mode") != "payment":
        raise ParamError("The sandbox supports only mode=payment.", "mode")
    items = params.get("line_items")
    if not isinstance(items, list) or not items:
        raise ParamError("Missing required param: line_items.", "line_items")
    line_items = [_line_item(index, item) for index, item in enumerate(items)]
    currencies = {item["currency"] for item in line_items}
    if len(currencies) != 1:
        raise ParamError("All line items must use the same currency.", "line_items")
    success_url = _text(params, "success_url", required=True)
    now = sandbox.store.now()
    raw_expiry = params.get("expires_at")
    expires_at = now + MAX_LIFETIME if raw_expiry is None else _integer(raw_expiry, "expires_at")
    if not MIN_LIFETIME <= expires_at - now <= MAX_LIFETIME:
        raise ParamError(
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
            "Checkout Session creation.",
            "expires_at",
        )
    total = sum(item["amount_total"] for item in line_items)
    session_id = new_id("cs_test_", 58)
    intent_data = params.get("payment_intent_data") or {}
    session = {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": total,
        "amount_total": total,
        "cancel_url": _text(params, "cancel_url"),
        "client_reference_id": _text(params, "client_reference_id"),
        "created": now,
        "currency": currencies.pop(),
        "customer": None,
        "customer_details": None,
        "customer_email": _text(params, "customer_email"),
        "expires_at": expires_at,
        "livemode": False,
        "metadata": _metadata(params.get("metadata"), "metadata"),
        "mode": "payment",
        "payment_intent": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "status": "open",
        "success_url": success_url,
        "url": f"{base}/checkout/{session_id}",
    }
    record = SessionRecord(
        obj=session,
        line_items=line_items,
        payment_intent_metadata=_metadata(
            intent_data.get("metadata") if isinstance(intent_data, dict) else None,
            "payment_intent_data[metadata]",
        ),
    )
    return sandbox.store.add_session(record)


def _create_refund(sandbox: PaymentsSandbox, params: JSON) -> JSON:
    _reject_unknown(params, REFUND_PARAMS)
    intent_id = _text(params, "payment_intent", required=True)
    assert intent_id is not None
    raw_amount = params.get("amount")
    amount = None if raw_amount is None else _integer(raw_amount, "amount")
    return sandbox.store.refund(intent_id, amount, _metadata(params.get("metadata"), "metadata"))


def _line_item(index: int, item: Any) -> JSON:
    prefix = f"line_items[{index}]"
    price = item.get("price_data") if isinstance(item, dict) else None
    if not isinstance(price, dict):
        raise ParamError("Each line item needs price_data.", f"{prefix}[price_data]")
    currency = price.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ParamError("Invalid currency.", f"{prefix}[price_data][currency]")
    unit_amount = _integer(price.get("unit_amount"), f"{prefix}[price_data][unit_amount]")
    product = price.get("product_data")
    name = product.get("name") if isinstance(product, dict) else None
    if not isinstance(name, str) or not name:
        raise ParamError("Missing product name.", f"{prefix}[price_data][product_data][name]")
    quantity = _integer(item.get("quantity"), f"{prefix}[quantity]")
    if unit_amount < 0 or quantity < 1:
        raise ParamError("Invalid amount or quantity.", prefix)
    return {
        "description": name,
        "currency": currency,
        "unit_amount": unit_amount,
        "quantity": quantity,
        "amount_total": unit_amount * quantity,
    }


def _reject_unknown(params: JSON, allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed:
            raise ParamError(f"Received unknown parameter: {name}", name, "parameter_unknown")


def _text(params: JSON, name: str, *, required: bool = False) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise ParamError(f"Missing required param: {name}.", name, "parameter_missing")
        return None
    if not isinstance(value, str):
        raise ParamError(f"Invalid string: {name}", name)
    return value


def _integer(value: Any, param: str) -> int:
    if value in (None, ""):
        raise ParamError(f"Missing required param: {param}.", param, "parameter_missing")
    if not isinstance(value, str) or not value.lstrip("-").isdigit():
        raise ParamError(f"Invalid integer: {value}", param)
    return int(value)


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ParamError("Invalid metadata.", param)
    return dict(value)
