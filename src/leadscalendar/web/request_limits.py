"""The edge of the input layer: request bodies and addresses, before any route runs.

A pure ASGI middleware, so it sees the body as it streams in:

- a declared ``Content-Length`` above the limit is refused before one byte of
  the body is read (413), so a 160 MB POST costs nothing;
- a body sent without a length (chunked) is counted while it is read, and the
  read stops with a 413 as soon as the count passes the limit: at most one
  chunk more than the limit is ever held in memory;
- a path or query string with control characters (``%00``, ``%0A``) is
  refused (400): no parameter of ours may contain one, and PostgreSQL cannot
  even compare against a NUL. The fields inside bodies are the job of the
  types in ``leadscalendar.inputs``.

Refusals are rendered by ``web.errors.render_error``: JSON under ``/api``, a
page elsewhere, like every other error.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadscalendar.web.errors import render_error

# C0 and C1 controls and DEL, after percent-decoding.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
BAD_ADDRESS = "This address contains characters that are not allowed; please check the link."


def too_large_message(limit: int) -> str:
    return f"The request is too large: at most {limit // 1024} KB may be sent at once."


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` mid-stream; an ``HTTPException`` so FastAPI passes it on as is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_control_characters(scope):
            await _refuse(scope, send, 400, BAD_ADDRESS, "invalid_input")
            return
        declared = _content_length(scope)
        if declared is None:
            await _refuse(
                scope, send, 400, "The Content-Length header is not valid.", "invalid_input"
            )
            return
        if declared > self.max_body_bytes:
            await self._too_large(scope, send)
            return
        await self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLargeError(self.max_body_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            # Read by something that does not answer HTTP errors itself (a middleware).
            if started:
                raise
            await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await _refuse(scope, send, 413, too_large_message(self.max_body_bytes), "too_large")


def _has_control_characters(scope: Scope) -> bool:
    query = unquote(scope.get("query_string", b"").decode("latin-1"), errors="replace")
    return bool(_CONTROL.search(scope.get("path", "")) or _CONTROL.search(query))


def _content_length(scope: Scope) -> int | None:
    """The declared length, 0 when absent, ``None`` when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return 0


async def _refuse(scope: Scope, send: Send, status: int, message: str, code: str) -> None:
    request = Request(scope)
    response = render_error(request, status, message, code)
    # The client may still be sending: say the connection will not be reused.
    response.headers["Connection"] = "close"
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
