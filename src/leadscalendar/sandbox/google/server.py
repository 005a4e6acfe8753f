"""Running the sandbox: in the foreground for the CLI, or in a thread for tests and the demo."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from leadscalendar.sandbox.google.app import create_sandbox_app
from leadscalendar.sandbox.google.config import SandboxConfig

STARTUP_TIMEOUT_SECONDS = 10.0


def run_sandbox(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the sandbox until interrupted (``leadscalendar sandbox google``)."""
    uvicorn.run(create_sandbox_app(config), host=host, port=port, log_level="info")


@contextmanager
def running_sandbox(
    config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Serve the sandbox in a background thread; yields its base URL (ending in ``/``).

    The socket is bound before the server starts, so ``port=0`` gives a free
    port with no race between choosing it and listening on it.
    """
    app = create_sandbox_app(config or SandboxConfig())
    # proto must be IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on sockets that
    # say so, and without it every response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="google-sandbox", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Google sandbox did not start")
            time.sleep(0.01)
        yield f"http://{host}:{bound_port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        sock.close()
