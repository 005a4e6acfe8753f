"""The sandbox's ASGI app factory."""

from __future__ import annotations

from fastapi import FastAPI

from leadscalendar.sandbox.google import (
    batch,
    calendar,
    control,
    control_api,
    control_host,
    control_sync,
    oauth,
    userinfo,
    watch,
)
from leadscalendar.sandbox.google.config import SandboxConfig
from leadscalendar.sandbox.google.state import SandboxState


def create_sandbox_app(config: SandboxConfig) -> FastAPI:
    """A fresh Google stand-in with its own in-memory state.

    No OpenAPI docs: the paths belong to Google, and ``/docs`` would be noise.
    """
    app = FastAPI(
        title="LeadsCalendar Google sandbox",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sandbox = SandboxState.create(config)
    app.include_router(oauth.router)
    app.include_router(userinfo.router)
    app.include_router(calendar.router)
    app.include_router(watch.router)
    app.include_router(batch.router)
    app.include_router(control.router)
    app.include_router(control_api.router)
    app.include_router(control_sync.router)
    app.include_router(control_host.router)
    return app
