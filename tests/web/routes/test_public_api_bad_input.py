"""Bad input to the lead's JSON API: a clear 4xx `{"error": {"code", "message"}}`, no writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadscalendar.config import Settings
from tests.support.booking_env import LEAD, BookingEnv
from tests.support.booking_flow import API, row_counts

HOLD = f"{API}/hosts/coach/types/session/bookings"


def _at(days: int, hour: int, minute: int = 0) -> str:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=minute, second=0, microsecond=0).isoformat()


def _hold_body(start: str | None = None, **lead: Any) -> dict[str, Any]:
    return {"start": start or _at(3, 10), "lead": {**LEAD, **lead}}


@pytest.fixture
def booking_settings(booking_settings: Settings) -> Settings:
    """Every request here comes from one address; the per-address hold limit is not under test."""
    return booking_settings.model_copy(update={"holds_per_ip_per_hour": 0})


def test_bad_input_gets_a_clear_4xx_and_writes_nothing(booking_env: BookingEnv) -> None:
    env = booking_env
    guests = [{"email": f"g{n}@example.com"} for n in range(11)]
    json_cases: dict[str, tuple[str, dict[str, Any], int, str]] = {
        "invalid email": (HOLD, _hold_body(email="not-an-email"), 400, "email"),
        "unknown time zone": (HOLD, _hold_body(time_zone="Mars/Olympus"), 400, "time zone"),
        "name too long": (HOLD, _hold_body(name="x" * 201), 400, "name"),
        "notes too long": (HOLD, _hold_body(notes="x" * 4001), 400, "notes"),
        "too many guests": (HOLD, _hold_body(guests=guests), 400, "guests"),
        "naive datetime": (HOLD, _hold_body(start="2030-01-07T10:00:00"), 400, "UTC offset"),
        "no lead": (HOLD, {"start": _at(3, 10)}, 400, "lead"),
        "slot in the past": (HOLD, _hold_body(start=_at(-1, 10)), 400, "too soon"),
        "not a slot start": (HOLD, _hold_body(start=_at(3, 10, 17)), 400, "offered start"),
        "outside working hours": (HOLD, _hold_body(start=_at(3, 23)), 400, "working hours"),
        "too far ahead": (HOLD, _hold_body(start=_at(400, 10)), 400, "too far"),
        "unknown host": (
            f"{API}/hosts/nobody/types/session/bookings",
            _hold_body(),
            404,
            "no such booking page",
        ),
        "unknown type": (
            f"{API}/hosts/coach/types/nothing/bookings",
            _hold_body(),
            404,
            "no such booking page",
        ),
    }
    env.first_slot("session")  # warm up: free/busy fetched, nothing written
    before = row_counts(env)

    for name, (path, body, status, words) in json_cases.items():
        response = env.lead.post(path, json=body)
        _assert_error(name, response.status_code, response.json(), status, words)

    raw_cases = {
        "malformed JSON": b'{"start": "2030-01-07T10:00:00+00:00", "lead": {',
        "not an object": b'["a", "list"]',
        "empty body": b"",
    }
    for name, payload in raw_cases.items():
        response = env.lead.post(
            HOLD, content=payload, headers={"Content-Type": "application/json"}
        )
        _assert_error(name, response.status_code, response.json(), 400, "")

    slots = env.lead.get(
        f"{API}/hosts/coach/types/session/slots", params={"tz": "Mars/Olympus", "days": 1}
    )
    _assert_error("slots in an unknown zone", slots.status_code, slots.json(), 400, "Mars")
    too_many_days = env.lead.get(f"{API}/hosts/coach/types/session/slots", params={"days": 99})
    _assert_error("too many days", too_many_days.status_code, too_many_days.json(), 400, "days")

    assert row_counts(env) == before


def _assert_error(name: str, status: int, body: Any, expected: int, words: str) -> None:
    assert status == expected, (name, status, body)
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"], name
    assert words.lower() in error["message"].lower(), (name, error["message"])
