"""The request id and the booking a request works on, in the log context of every line.

A pure ASGI middleware (like ``language.py``): it binds ``request_id`` before
anything below it runs, so every line logged while the request is handled,
uvicorn's access line included (written from inside the app's ``send``), and
in threads the request starts through anyio, carries it. The id comes from a
proxy's ``X-Request-ID`` when that is a sane token, else a new one; it goes
back in the response's ``X-Request-ID`` so a user's report can be matched to
the log.

``bind_route_context`` is an app-wide dependency: after routing, a path that
names a booking (``/bookings/{booking_id}``) adds ``booking_id`` too.
"""

from __future__ import annotations

import re
import uuid

import structlog
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadscalendar.logging import bind_log_context

HEADER = b"x-request-id"
# What we accept from a proxy: short, and nothing a log line could be confused by.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_ROUTE_KEYS = ("booking_id",)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        header = (HEADER, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars(*_ROUTE_KEYS)
            structlog.contextvars.reset_contextvars(**tokens)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            text = value.decode("latin-1")
            return text if _SANE_ID.match(text) else None
    return None


async def bind_route_context(request: Request) -> None:
    """Async on purpose: it runs in the request's own context, which the route then shares."""
    for key in _ROUTE_KEYS:
        value = request.path_params.get(key)
        if value is not None:
            bind_log_context(**{key: str(value)[:64]})
