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


def test_control_characters_far_dates_and_non_zones_get_a_400_and_write_nothing(
    booking_env: BookingEnv,
) -> None:
    env = booking_env
    slots = f"{API}/hosts/coach/types/session/slots"
    json_cases: dict[str, tuple[dict[str, Any], str]] = {
        "NUL in the name": (_hold_body(name="Lena\x00Lead"), "name"),
        "a header smuggled into the name": (_hold_body(name="Lena\r\nBcc: x@example.com"), "name"),
        "NUL in the notes": (_hold_body(notes="see you\x00"), "notes"),
        "escape codes in the notes": (_hold_body(notes="\x1b[31mred"), "notes"),
        "a bell in a guest's name": (
            _hold_body(guests=[{"email": "g@example.com", "name": "Gus\x07"}]),
            "name",
        ),
        "year 1": (_hold_body(start="0001-01-01T00:00:00+14:00"), "between the years"),
        "year 9999": (_hold_body(start="9999-12-31T23:00:00-12:00"), "between the years"),
        "the server's local zone": (_hold_body(time_zone="localtime"), "time zone"),
        "posixrules": (_hold_body(time_zone="posixrules"), "time zone"),
        "Factory": (_hold_body(time_zone="Factory"), "time zone"),
    }
    env.first_slot("session")
    before = row_counts(env)

    for name, (body, words) in json_cases.items():
        response = env.lead.post(HOLD, json=body)
        _assert_error(name, response.status_code, response.json(), 400, words)
    for name, params in {
        "slots from year 1": {"start": "0001-01-01"},
        "slots from year 9999": {"start": "9999-12-31"},
        "slots in the server's local zone": {"tz": "localtime"},
    }.items():
        response = env.lead.get(slots, params=params)
        _assert_error(name, response.status_code, response.json(), 400, "")
    nul_path = env.lead.get(f"{API}/hosts/co%00ach/types/session/slots")
    _assert_error("NUL in the path", nul_path.status_code, nul_path.json(), 400, "not allowed")

    assert row_counts(env) == before


def test_a_zone_link_is_accepted_under_its_canonical_name(booking_env: BookingEnv) -> None:
    env = booking_env
    listed = env.lead.get(
        f"{API}/hosts/coach/types/session/slots", params={"tz": "US/Eastern", "days": 1}
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["time_zone"] == "America/New_York"
    held = env.lead.post(
        HOLD, json=_hold_body(start=env.first_slot("session"), time_zone="Asia/Calcutta")
    )
    assert held.status_code == 201, held.text
    assert held.json()["lead_time_zone"] == "Asia/Kolkata"
