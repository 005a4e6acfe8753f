"""A canned-response Google on a loopback port, recording every request it gets.

Until the sandbox Google server lands, this is how calendar.py is tested over
real HTTP: the client really builds URLs, headers and bodies and really parses
what comes back; the test decides what Google answers.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Canned:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Responder = Callable[[Recorded], Canned]


def as_json(status: int, body: Any, **headers: str) -> Canned:
    return Canned(
        status, json.dumps(body).encode(), {"Content-Type": "application/json", **headers}
    )


class FakeGoogle:
    """Answers (method, path) from queues of canned responses; the last one repeats."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: dict[tuple[str, str], list[Canned | Responder]] = {}
        self._lock = threading.Lock()
        self.base = ""

    def route(self, method: str, path: str, *responses: Canned | Responder) -> None:
        self._routes[(method, path)] = list(responses)

    def answer(self, request: Recorded) -> Canned:
        with self._lock:
            self.requests.append(request)
            queue = self._routes.get((request.method, request.path))
            if not queue:
                return as_json(404, {"error": {"code": 404, "message": "no route in test"}})
            response = queue.pop(0) if len(queue) > 1 else queue[0]
        if not callable(response):
            return response
        try:
            return response(request)
        except Exception as exc:  # a broken responder is a test bug: say so, loudly
            return Canned(599, f"responder failed: {exc!r}".encode())

    def only(self, method: str, path: str) -> Recorded:
        matching = [r for r in self.requests if r.method == method and r.path == path]
        assert len(matching) == 1, (method, path, self.requests)
        return matching[0]


def serve(fake: FakeGoogle) -> Callable[[], None]:
    """Start answering on a free loopback port; returns the function that stops it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    fake.base = f"http://127.0.0.1:{server.server_address[1]}/"

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


def _handler(fake: FakeGoogle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            recorded = Recorded(
                method=self.command,
                path=urllib.parse.unquote(parsed.path),
                query=urllib.parse.parse_qs(parsed.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            # Keep the raw path too: percent-encoding is part of what we test.
            recorded.headers[":raw-path"] = parsed.path
            canned = fake.answer(recorded)
            if canned.delay:
                time.sleep(canned.delay)
            try:
                self.send_response(canned.status)
                for name, value in canned.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
