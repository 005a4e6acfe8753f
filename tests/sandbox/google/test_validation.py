"""Event validation: the 400 bodies Google gives for bad events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.google_sandbox import GoogleSandbox

START = {"dateTime": "2030-03-01T10:00:00Z"}
END = {"dateTime": "2030-03-01T11:00:00Z"}


@pytest.fixture
def insert(google_sandbox: GoogleSandbox) -> Any:
    token = google_sandbox.connect().token

    def call(body: Any, **params: str) -> tuple[int, dict[str, Any]]:
        response = google_sandbox.http.post(
            "calendar/v3/calendars/primary/events",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code, response.json()

    return call


def _first(body: dict[str, Any]) -> tuple[str, str]:
    error = body["error"]["errors"][0]
    return error["reason"], error["message"]


def test_missing_end_is_googles_exact_body(insert: Any) -> None:
    status, body = insert({"start": START})

    assert status == 400
    assert body == {
        "error": {
            "errors": [{"domain": "global", "reason": "required", "message": "Missing end time."}],
            "code": 400,
            "message": "Missing end time.",
        }
    }


def test_end_before_start_is_time_range_empty(insert: Any) -> None:
    status, body = insert({"start": END, "end": START})

    assert status == 400
    assert _first(body) == ("timeRangeEmpty", "The specified time range is empty.")
    assert body["error"]["errors"][0]["domain"] == "calendar"


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ({"dateTime": "2030-03-01T10:00:00"}, "Missing time zone definition for start time."),
        ({"dateTime": "2030-03-01 10:00"}, "Invalid start time."),
        ({"dateTime": "2030-02-30T10:00:00Z"}, "Invalid start time."),
        (
            {"dateTime": "2030-03-01T10:00:00", "timeZone": "Mars/Olympus"},
            "Invalid time zone definition for start time.",
        ),
        (
            {"date": "2030-03-01"},
            "Start and end times must either both be date or both be dateTime.",
        ),
    ],
)
def test_bad_start_times(insert: Any, start: dict[str, str], message: str) -> None:
    status, body = insert({"start": start, "end": END})

    assert status == 400
    assert _first(body)[1] == message


def test_local_time_with_time_zone_is_accepted_and_echoed_with_offset(insert: Any) -> None:
    status, body = insert(
        {
            "start": {"dateTime": "2030-07-01T10:00:00", "timeZone": "Europe/Paris"},
            "end": {"dateTime": "2030-07-01T11:00:00", "timeZone": "Europe/Paris"},
        }
    )

    assert status == 200
    assert body["start"] == {"dateTime": "2030-07-01T10:00:00+02:00", "timeZone": "Europe/Paris"}


@pytest.mark.parametrize("event_id", ["abc", "UPPERCASE123", "has-dash-123", "wxyz12345"])
def test_client_ids_must_be_base32hex(insert: Any, event_id: str) -> None:
    status, body = insert({"id": event_id, "start": START, "end": END})

    assert status == 400
    assert _first(body) == ("invalid", "Invalid resource id value.")


def test_attendee_emails_are_checked(insert: Any) -> None:
    bad_status, bad = insert({"start": START, "end": END, "attendees": [{"email": "not-an-email"}]})
    missing_status, missing = insert({"start": START, "end": END, "attendees": [{}]})

    assert bad_status == 400 and _first(bad) == ("invalid", "Invalid attendee email.")
    assert missing_status == 400 and _first(missing)[0] == "required"


@pytest.mark.parametrize(
    "reminders",
    [
        {"useDefault": False, "overrides": [{"method": "popup", "minutes": 10}] * 6},
        {"useDefault": False, "overrides": [{"method": "popup", "minutes": 40321}]},
        {"useDefault": False, "overrides": [{"method": "sms", "minutes": 10}]},
        {"useDefault": True, "overrides": [{"method": "popup", "minutes": 10}]},
    ],
)
def test_reminder_limits(insert: Any, reminders: dict[str, Any]) -> None:
    status, _ = insert({"start": START, "end": END, "reminders": reminders})

    assert status == 400


def test_five_reminders_within_four_weeks_are_fine(insert: Any) -> None:
    overrides = [{"method": "email", "minutes": minutes} for minutes in (0, 10, 60, 1440, 40320)]

    status, body = insert(
        {"start": START, "end": END, "reminders": {"useDefault": False, "overrides": overrides}}
    )

    assert status == 200
    assert body["reminders"]["overrides"] == overrides


def test_unknown_fields_and_wrong_types_are_rejected_by_the_schema(insert: Any) -> None:
    unknown_status, unknown = insert({"start": START, "end": END, "attendes": []})
    nested_status, nested = insert({"start": START | {"when": 1}, "end": END})
    typed_status, typed = insert({"start": START, "end": END, "summary": 5})

    assert unknown_status == 400 and '"attendes"' in unknown["error"]["message"]
    assert nested_status == 400 and '"when"' in nested["error"]["message"]
    assert typed_status == 400 and "resource.summary" in typed["error"]["message"]


def test_malformed_json_is_a_parse_error(google_sandbox: GoogleSandbox) -> None:
    token = google_sandbox.connect().token

    response = google_sandbox.http.post(
        "calendar/v3/calendars/primary/events",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["reason"] == "parseError"


def test_bad_send_updates_value(insert: Any) -> None:
    status, body = insert({"start": START, "end": END}, sendUpdates="everyone")

    assert status == 400
    assert _first(body)[0] == "invalidParameter"
