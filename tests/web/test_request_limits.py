"""Request bodies over the limit and addresses with control characters, on the real app.

The body tests drive the app as ASGI with a hand-written ``receive``, so they
can see exactly how much of the body the app pulled before it answered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio
import httpx
from fastapi import FastAPI

from leadscalendar.config import Settings
from leadscalendar.web.app import create_app

T = TypeVar("T")

LIMIT = 64 * 1024
CHUNK = 16 * 1024
HUGE = 160 * 1024 * 1024
HOLD = "/api/v1/public/hosts/coach/types/session/bookings"


def _small_limit_app(settings: Settings) -> FastAPI:
    return create_app(settings.model_copy(update={"max_request_body_bytes": LIMIT}))


class Upload:
    """A client sending ``total`` bytes in chunks, counting what the server asked for."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    async def receive(self) -> dict[str, Any]:
        if self.pulled >= self.total:
            return {"type": "http.disconnect"}
        self.pulled += CHUNK
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": self.pulled < self.total}


async def _call(
    app: FastAPI, path: str, headers: list[tuple[bytes, bytes]], upload: Upload
) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await app(scope, upload.receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, body


def _run_apart(func: Callable[..., Awaitable[T]], *args: object) -> T:
    """``anyio.run`` on a thread of its own: a browser test's event loop may own this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, func, *args).result()


def test_a_declared_160_mb_body_is_refused_without_reading_it(settings: Settings) -> None:
    app = _small_limit_app(settings)
    upload = Upload(HUGE)
    status, headers, body = _run_apart(
        _call,
        app,
        HOLD,
        [(b"content-type", b"application/json"), (b"content-length", str(HUGE).encode())],
        upload,
    )
    assert status == 413
    assert upload.pulled == 0
    assert headers["content-type"].startswith("application/json")
    assert b"too large" in body and b"64 KB" in body
    app.state.services.engine.dispose()


def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(settings: Settings) -> None:
    app = _small_limit_app(settings)
    upload = Upload(HUGE)
    status, _, body = _run_apart(
        _call,
        app,
        HOLD,
        [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        upload,
    )
    assert status == 413, body
    # The app stopped asking for the body one chunk past the limit: 80 KB of 160 MB.
    assert upload.pulled <= LIMIT + CHUNK
    app.state.services.engine.dispose()


def test_a_page_form_over_the_limit_gets_a_page(settings: Settings) -> None:
    app = _small_limit_app(settings)
    upload = Upload(HUGE)
    status, headers, body = _run_apart(
        _call,
        app,
        "/coach/session/book",
        [(b"content-type", b"application/x-www-form-urlencoded")],
        upload,
    )
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    assert b"The request is too large" in body
    assert "content-security-policy" in headers
    app.state.services.engine.dispose()


def _control_character_urls() -> Iterator[tuple[str, str]]:
    yield "/api/v1/public/hosts/co%00ach/types/session/slots", "application/json"
    yield "/api/v1/public/hosts/coach/types/session/slots?tz=Europe%2FParis%00", "application/json"
    yield "/api/v1/bookings?lead_email=a%0D%0Ab%40example.com", "application/json"
    yield "/coach/session?tz=%0AEurope/Paris", "text/html"
    yield "/dashboard/bookings?q=%00", "text/html"


def test_addresses_with_control_characters_are_refused_everywhere(client: httpx.Client) -> None:
    for url, content_type in _control_character_urls():
        response = client.get(url)
        assert response.status_code == 400, (url, response.status_code, response.text)
        assert response.headers["content-type"].startswith(content_type), url
        assert "characters that are not allowed" in response.text, url


def test_a_body_within_the_limit_still_reaches_the_route(client: httpx.Client) -> None:
    response = client.post(HOLD, json={"start": "2030-01-07T10:00:00+00:00"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
