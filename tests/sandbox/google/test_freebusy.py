"""freeBusy: busy from events that block time and from seeded blocks."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_sandbox import GoogleSandbox

HOST = "host@sandbox.test"


def test_busy_merges_events_and_seeded_blocks_and_skips_free_ones(
    google_sandbox: GoogleSandbox,
) -> None:
    credentials = google_sandbox.connect()
    google_sandbox.control(
        "POST",
        "busy",
        {
            "calendar_id": HOST,
            "blocks": [
                {"start": "2030-04-01T10:30:00Z", "end": "2030-04-01T12:00:00Z"},
                {"start": "2030-04-01T07:00:00Z", "end": "2030-04-01T08:30:00Z"},
            ],
        },
    )
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        for start, end, extra in [
            ("10:00", "11:00", {}),
            ("14:00", "15:00", {"transparency": "transparent"}),
            ("16:00", "17:00", {"id": "cancelled001"}),
        ]:
            body = {
                "start": {"dateTime": f"2030-04-01T{start}:00Z"},
                "end": {"dateTime": f"2030-04-01T{end}:00Z"},
            } | extra
            events.insert(calendarId="primary", body=body).execute()
        events.delete(calendarId="primary", eventId="cancelled001").execute()
        answer = (
            service.freebusy()
            .query(
                body={
                    "timeMin": "2030-04-01T08:00:00Z",
                    "timeMax": "2030-04-02T00:00:00Z",
                    "items": [{"id": "primary"}, {"id": "nobody@sandbox.test"}],
                }
            )
            .execute()
        )

    assert answer["kind"] == "calendar#freeBusy"
    assert answer["calendars"]["primary"]["busy"] == [
        {"start": "2030-04-01T08:00:00Z", "end": "2030-04-01T08:30:00Z"},  # clipped to timeMin
        {"start": "2030-04-01T10:00:00Z", "end": "2030-04-01T12:00:00Z"},  # event + block merged
    ]
    assert answer["calendars"]["nobody@sandbox.test"] == {
        "errors": [{"domain": "global", "reason": "notFound"}],
        "busy": [],
    }


def test_empty_range_is_rejected(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()

    with google_sandbox.calendar(credentials) as service, pytest.raises(HttpError) as caught:
        service.freebusy().query(
            body={
                "timeMin": "2030-04-02T00:00:00Z",
                "timeMax": "2030-04-01T00:00:00Z",
                "items": [{"id": "primary"}],
            }
        ).execute()

    assert caught.value.status_code == 400
    assert caught.value.error_details[0]["reason"] == "timeRangeEmpty"
