"""A loopback HTTP server that records push notifications, for the sandbox's channel tests.

It keeps each POST's headers and body, and can answer the next few with an
error status (to watch the sandbox retry) or stop answering altogether.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushReceiver:
    url: str
    received: list[Received] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.failures.clear()

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` notifications with ``status`` (they still count)."""
        with self.lock:
            self.failures.extend([status] * count)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """At least ``count`` notifications, polling briefly; fails the test on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} notifications, wanted {count}")
            time.sleep(0.01)

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.received)


def _handler(receiver: PushReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                status = receiver.failures.pop(0) if receiver.failures else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@contextmanager
def push_receiver() -> Iterator[PushReceiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = PushReceiver(url=f"http://127.0.0.1:{server.server_address[1]}/notify")
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, name="push-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
