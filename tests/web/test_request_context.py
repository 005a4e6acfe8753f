"""Every line logged while a request is handled carries its request id, and its booking's id."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from leadscalendar.logging import UVICORN_LOG_CONFIG
from tests.support.live_server import live_server
from tests.support.log_capture import captured_log, json_lines


def _access_lines(
    app: FastAPI, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    with (
        captured_log("json") as stream,
        live_server(app, log_level="info", log_config=UVICORN_LOG_CONFIG) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        response = client.get(path, headers=headers)
    lines = [line for line in json_lines(stream) if line.get("logger") == "uvicorn.access"]
    return response, lines


def test_access_lines_carry_the_request_id_and_the_booking_id(app: FastAPI) -> None:
    booking_id = str(uuid.uuid4())
    response, lines = _access_lines(app, f"/bookings/{booking_id}?token=IjEi.secret-sig", {})
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    (line,) = lines
    assert line["request_id"] == request_id
    assert line["booking_id"] == booking_id
    assert "token=[redacted]" in line["event"]
    assert "secret-sig" not in str(line)
    assert line["level"] == "info" and "timestamp" in line


def test_a_proxys_request_id_is_kept_and_a_bad_one_replaced(app: FastAPI) -> None:
    response, (line,) = _access_lines(app, "/healthz", {"X-Request-ID": "lb-7f3a9c21-0001"})
    assert response.headers["x-request-id"] == line["request_id"] == "lb-7f3a9c21-0001"
    assert "booking_id" not in line
    response, (line,) = _access_lines(app, "/healthz", {"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["x-request-id"] == line["request_id"] != "bad id\twith spaces"
