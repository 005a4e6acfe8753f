"""Every Calendar call is counted by method and classified outcome, and timed."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError
from prometheus_client import REGISTRY

from leadscalendar.google.events import build_event_body
from tests.google.fake_google import FakeGoogle, as_json
from tests.google.test_calendar import EVENTS, client, error, google_event, spec


def calls(method: str, outcome: str, reason: str) -> float:
    labels = {"method": method, "outcome": outcome, "reason": reason}
    return REGISTRY.get_sample_value("leadscalendar_google_calls_total", labels) or 0.0


def timed(method: str) -> float:
    labels = {"method": method}
    return REGISTRY.get_sample_value("leadscalendar_google_call_seconds_count", labels) or 0.0


def test_calls_are_counted_by_method_outcome_and_googles_reason(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    limited = error(403, "userRateLimitExceeded", "User Rate Limit Exceeded", "usageLimits")
    odd = error(403, "someNewReason", "Forbidden")
    fake_google.route(
        "POST",
        EVENTS,
        as_json(200, google_event(body)),
        as_json(403, limited),
        as_json(409, error(409, "duplicate", "The requested identifier already exists.")),
        as_json(403, odd),
    )
    before = {
        "ok": calls("events.insert", "ok", "none"),
        "limited": calls("events.insert", "backoff", "userRateLimitExceeded"),
        "duplicate": calls("events.insert", "duplicate", "duplicate"),
        "odd": calls("events.insert", "permission", "other"),
        "timed": timed("events.insert"),
    }
    calendar = client(fake_google)
    calendar.insert_event("primary", body)
    for _ in range(3):
        with pytest.raises(HttpError):
            calendar.insert_event("primary", body)

    assert calls("events.insert", "ok", "none") == before["ok"] + 1
    assert calls("events.insert", "backoff", "userRateLimitExceeded") == before["limited"] + 1
    assert calls("events.insert", "duplicate", "duplicate") == before["duplicate"] + 1
    # A reason we do not know is counted, but never becomes a label value of its own.
    assert calls("events.insert", "permission", "other") == before["odd"] + 1
    assert calls("events.insert", "permission", "someNewReason") == 0
    assert timed("events.insert") == before["timed"] + 4
