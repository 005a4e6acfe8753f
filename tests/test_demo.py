"""`leadscalendar demo` starts everything, prints working URLs, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

URL = re.compile(r"(http://127\.0\.0\.1:\d+/\S*)")


# app, Google sandbox, payments sandbox, mailbox page, SMTP sink, webhook receiver
DEMO_PORTS = 6


def free_ports() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base > 65000:
            continue
        sockets = []
        try:
            for port in range(base, base + DEMO_PORTS):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return base
    raise RuntimeError(f"no {DEMO_PORTS} consecutive free ports")


def test_demo_prints_urls_that_work_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_ports()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADSCALENDAR_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leadscalendar",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "OpenAPI document" in line:
                break
        text = "".join(output)
        urls = URL.findall(text)
        assert len(urls) >= 8, text
        assert f"Mailbox (every mail):  http://127.0.0.1:{port + 3}/" in text
        assert f"Webhook receiver:      http://127.0.0.1:{port + 5}/" in text
        with httpx.Client(timeout=15) as client:
            for url in urls:
                response = client.get(url, follow_redirects=True)
                assert response.status_code == 200, (url, response.status_code)
            slots = client.get(
                f"http://127.0.0.1:{port}/api/v1/public/hosts/demo/types/session/slots",
                params={"days": 7, "tz": "Europe/Paris"},
            )
            assert any(day["slots"] for day in slots.json()["days"])
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        rest = process.stdout.read()
        process.stdout.close()
    assert process.returncode == 0, "".join(output) + rest
