"""``run_sandbox``: what ``leadscalendar sandbox google --port P`` runs, in its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_run_sandbox_serves_until_stopped() -> None:
    port = _free_port()
    code = (
        "from leadscalendar.sandbox.google import SandboxConfig, run_sandbox; "
        f"run_sandbox(SandboxConfig(account_email='cli@sandbox.test'), '127.0.0.1', {port})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/_sandbox/calendars", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the sandbox process exited"
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        ids = [calendar["id"] for calendar in response.json()["calendars"]]
        assert "cli@sandbox.test" in ids
    finally:
        process.terminate()
        process.wait(timeout=10)
