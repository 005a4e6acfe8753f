"""The payments sandbox ASGI app: Stripe's wire format for the subset LeadsCalendar uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.requests import Request
from fastapi.responses import Response

from leadscalendar.sandbox.payments import api, control, pages
from leadscalendar.sandbox.payments.config import PaymentsSandboxConfig
from leadscalendar.sandbox.payments.runtime import PaymentsSandbox


def create_payments_sandbox_app(config: PaymentsSandboxConfig | None = None) -> FastAPI:
    """A fresh sandbox with its own account and delivery worker (already running).

    The worker stops on ASGI shutdown; callers serving with ``lifespan="off"``
    call ``app.state.payments_sandbox.close()`` themselves.
    """
    sandbox = PaymentsSandbox.start(config or PaymentsSandboxConfig())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        sandbox.close()

    app = FastAPI(title="LeadsCalendar payments sandbox", lifespan=lifespan, docs_url=None)
    app.state.payments_sandbox = sandbox

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith("/v1/"):
            return api.stripe_error(400, "Invalid request.")
        return Response(str(exc.errors()), status_code=422)

    app.add_exception_handler(RequestValidationError, on_validation_error)
    for module in (api, pages, control):
        app.include_router(module.router)
    return app


def run_payments_sandbox(config: PaymentsSandboxConfig, host: str, port: int) -> None:
    """Serve the sandbox until interrupted (``leadscalendar sandbox payments``)."""
    uvicorn.run(create_payments_sandbox_app(config), host=host, port=port, log_level="info")
