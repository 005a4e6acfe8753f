"""The discovery-built Calendar service is reused per thread, never shared across threads."""

from __future__ import annotations

import threading
from typing import Any

from leadscalendar.google.calendar import _calendar_service

ENDPOINT = "http://127.0.0.1:9/calendar/v3/"


def test_one_service_per_thread_and_endpoint() -> None:
    first = _calendar_service(ENDPOINT, 5.0)
    assert _calendar_service(ENDPOINT, 5.0) is first
    assert _calendar_service("http://127.0.0.1:10/calendar/v3/", 5.0) is not first
    assert _calendar_service(ENDPOINT, 6.0) is not first
    elsewhere: list[Any] = []
    thread = threading.Thread(target=lambda: elsewhere.append(_calendar_service(ENDPOINT, 5.0)))
    thread.start()
    thread.join()
    assert elsewhere and elsewhere[0] is not first


def test_the_cached_service_builds_requests_for_its_endpoint() -> None:
    service = _calendar_service(ENDPOINT, 5.0)
    request = service.events().insert(calendarId="primary", body={"summary": "x"})
    assert request.uri.startswith(f"{ENDPOINT}calendars/primary/events")
