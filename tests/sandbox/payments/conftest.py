from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from tests.support.live_server import live_server
from tests.support.payments import TEST_API_KEY, running_payments_sandbox, sandbox_config

AUTH = {"Authorization": f"Bearer {TEST_API_KEY}"}


@dataclass
class Receiver:
    """A webhook endpoint that records every request and answers scripted statuses."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.received.append((dict(request.headers), body))
            status = self.statuses.pop(0) if self.statuses else 200
        return JSONResponse({"received": True}, status_code=status)

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [body for _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recorder = Receiver()
    app = Starlette(routes=[Route("/hook", recorder.endpoint, methods=["POST"])])
    with live_server(app) as url:
        recorder.url = f"{url}/hook"
        yield recorder


@pytest.fixture
def sandbox(receiver: Receiver) -> Iterator[tuple[str, PaymentsSandbox]]:
    with running_payments_sandbox(sandbox_config(webhook_url=receiver.url)) as running:
        yield running


@pytest.fixture
def api(sandbox: tuple[str, PaymentsSandbox]) -> Iterator[httpx.Client]:
    """A raw HTTP client for the sandbox, authenticated like the Stripe SDK."""
    url, _ = sandbox
    with httpx.Client(base_url=url, headers=AUTH, timeout=10) as client:
        yield client


def create_session(api: httpx.Client, **extra: str) -> dict[str, object]:
    form = {
        "mode": "payment",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "5000",
        "line_items[0][price_data][product_data][name]": "Coaching",
        "success_url": "https://app.example/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.example/cancelled",
        "client_reference_id": "booking-1",
        "metadata[booking_id]": "booking-1",
        **extra,
    }
    response = api.post("/v1/checkout/sessions", data=form)
    assert response.status_code == 200, response.text
    session: dict[str, object] = response.json()
    return session


def root(api: httpx.Client) -> str:
    """The sandbox's base URL without a trailing slash."""
    return str(api.base_url).rstrip("/")
