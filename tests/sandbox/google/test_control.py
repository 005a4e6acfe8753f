"""Control API pages and inputs not covered elsewhere."""

from __future__ import annotations

from tests.support.google_sandbox import GoogleSandbox

HOST = "host@sandbox.test"


def test_calendar_page_lists_events_with_attendees(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()
    with google_sandbox.calendar(credentials) as service:
        service.events().insert(
            calendarId="primary",
            body={
                "summary": "Strategy <session>",
                "start": {"dateTime": "2030-08-01T09:00:00Z"},
                "end": {"dateTime": "2030-08-01T10:00:00Z"},
                "attendees": [{"email": "lead@example.com"}],
            },
        ).execute()

    page = google_sandbox.http.get("_sandbox/calendar")

    assert page.status_code == 200
    assert "Strategy &lt;session&gt;" in page.text
    assert "lead@example.com" in page.text
    assert "2030-08-01T09:00:00Z" in page.text


def test_busy_seeding_validates_input(google_sandbox: GoogleSandbox) -> None:
    backwards = google_sandbox.http.post(
        "_sandbox/busy",
        json={"calendar_id": HOST, "start": "2030-01-01T10:00:00Z", "end": "2030-01-01T09:00:00Z"},
    )
    unknown = google_sandbox.http.post(
        "_sandbox/busy",
        json={
            "calendar_id": "nobody",
            "start": "2030-01-01T10:00:00Z",
            "end": "2030-01-01T11:00:00Z",
        },
    )
    ok = google_sandbox.http.post(
        "_sandbox/busy",
        json={
            "calendar_id": HOST,
            "start": "2030-01-01T10:00:00+01:00",
            "end": "2030-01-01T11:00:00+01:00",
        },
    )

    assert backwards.status_code == 400
    assert unknown.status_code == 404
    assert ok.json()["added"] == [{"start": "2030-01-01T09:00:00Z", "end": "2030-01-01T10:00:00Z"}]


def test_calendars_listing_and_unknown_grant(google_sandbox: GoogleSandbox) -> None:
    calendars = google_sandbox.control("GET", "calendars")["calendars"]
    missing = google_sandbox.http.post("_sandbox/grants/grant-nope/revoke")

    assert {calendar["access_role"] for calendar in calendars} == {"owner", "reader"}
    assert [c["id"] for c in calendars if c["primary"]] == [HOST]
    assert missing.status_code == 404
