"""The ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from leadscalendar.config import Settings, get_settings
from leadscalendar.logging import configure_logging
from leadscalendar.observability.exposition import prepare_process
from leadscalendar.services import Services, build_services
from leadscalendar.web.dashboard.routers import DASHBOARD_ROUTERS
from leadscalendar.web.errors import install_error_handlers
from leadscalendar.web.language import LanguageMiddleware
from leadscalendar.web.openapi import install_openapi
from leadscalendar.web.rate_limit import RateLimits
from leadscalendar.web.request_context import RequestContextMiddleware, bind_route_context
from leadscalendar.web.request_limits import RequestLimitsMiddleware
from leadscalendar.web.routes import (
    api_docs,
    api_keys,
    auth,
    booking_pages,
    dashboard,
    google,
    health,
    host_api,
    host_api_bookings,
    host_api_exports,
    host_api_leads,
    host_api_webhooks,
    host_pages,
    metrics,
    password_reset,
    public_api,
    public_pages,
    signup,
    webhooks,
)
from leadscalendar.web.security_headers import SecurityHeadersMiddleware, SecurityPolicy
from leadscalendar.web.webhook_docs import document_webhooks

STATIC_DIR = Path(__file__).parent / "static"
API_DESCRIPTION = (
    "Paid bookings that land on the host's Google Calendar exactly once.\n\n"
    "**Host API** (`/api/v1`, tags *host* and *host webhooks*): authenticate with an "
    "API key from the dashboard, `Authorization: Bearer lc_...`. Creating requests accept an "
    "`Idempotency-Key` header. **Public API** (`/api/v1/public`): the lead's booking "
    "journey, authorised by the booking's signed token; holds accept an "
    "`Idempotency-Key` too, in a key space of their own. Every error has the body "
    '`{"error": {"code": ..., "message": ...}}`. **Outbound webhooks** (*Webhooks* '
    "below): the booking events a host's endpoints receive, signed per Standard Webhooks."
)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.resolved_log_format)
    prepare_process()
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        services.webhook_sender.close()
        services.engine.dispose()

    # FastAPI's own /docs loads Swagger UI from a CDN; routes/api_docs.py serves it locally.
    app = FastAPI(
        title="LeadsCalendar API",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # After routing: a path naming a booking puts its id on every log line.
        dependencies=[Depends(bind_route_context)],
    )
    app.state.services = services
    app.state.rate_limits = RateLimits.from_services(services)
    app.state.security_policy = SecurityPolicy.from_settings(settings)
    app.state.webhook_limiter = anyio.CapacityLimiter(settings.webhook_concurrency)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="leadscalendar_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
    )
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(RequestLimitsMiddleware, max_body_bytes=settings.max_request_body_bytes)
    # Added last, so outermost: even responses the session layer short-cuts get the headers.
    app.add_middleware(SecurityHeadersMiddleware, policy=app.state.security_policy)
    # Outermost of all: the request id is bound before any other layer logs.
    app.add_middleware(RequestContextMiddleware)
    # Before /static, which would otherwise answer these paths with 404.
    app.mount(
        api_docs.SWAGGER_UI_URL,
        StaticFiles(directory=str(api_docs.SWAGGER_UI_DIR)),
        name="api-docs-assets",
    )
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    install_error_handlers(app)
    install_openapi(app)
    document_webhooks(app)
    # The two busiest paths first (routes are matched in order): the lead's slot API and
    # the provider's webhook deliveries; their paths overlap no other route.
    for module in (
        public_api,
        webhooks,
        health,
        metrics,
        api_docs,
        auth,
        signup,
        password_reset,
        dashboard,
        google,
    ):
        app.include_router(module.router)
    for router in DASHBOARD_ROUTERS:
        app.include_router(router)
    for api_module in (
        host_api,
        host_api_exports,
        host_api_bookings,
        host_api_leads,
        host_api_webhooks,
        api_keys,
    ):
        app.include_router(api_module.router)
    # Last: "/{host}" and "/{host}/{type}" would otherwise shadow the paths above.
    app.include_router(booking_pages.router)
    app.include_router(host_pages.router)
    app.include_router(public_pages.router)
    return app
