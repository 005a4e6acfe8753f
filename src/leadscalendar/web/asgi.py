"""ASGI entry point for `uvicorn leadscalendar.web.asgi:app`; settings come from the environment."""

from __future__ import annotations

from leadscalendar.web.app import create_app

app = create_app()
