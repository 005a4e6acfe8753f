"""Control calls that play the host in Google Calendar: they reach sync and push, not the stats."""

from __future__ import annotations

from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from tests.support.google_sandbox import GoogleSandbox
from tests.support.push_receiver import PushReceiver

HOST = "host@sandbox.test"
BOOKINGS = "bookings.host.sandbox.test@group.calendar.google.com"
BOOKED = {
    "id": "booking0123456789abcdefuv",
    "summary": "Intro call with Lee",
    "start": {"dateTime": "2030-05-06T10:00:00Z"},
    "end": {"dateTime": "2030-05-06T10:30:00Z"},
    "attendees": [{"email": "lead@example.com"}],
}


@pytest.fixture
def credentials(google_sandbox: GoogleSandbox) -> Credentials:
    return google_sandbox.connect()


def _changes(service: Any, token: str) -> dict[str, Any]:
    page: dict[str, Any] = service.events().list(calendarId=BOOKINGS, syncToken=token).execute()
    return page


def _synced(service: Any) -> str:
    token: str = service.events().list(calendarId=BOOKINGS).execute()["nextSyncToken"]
    return token


def test_host_moves_renames_and_deletes_a_booked_event(
    google_sandbox: GoogleSandbox, credentials: Credentials, receiver: PushReceiver
) -> None:
    with google_sandbox.calendar(credentials) as service:
        booked = service.events().insert(calendarId=BOOKINGS, body=BOOKED).execute()
        token = _synced(service)
        service.events().watch(
            calendarId=BOOKINGS, body={"id": "c1", "type": "web_hook", "address": receiver.url}
        ).execute()
        receiver.wait_for(1)
        google_sandbox.control("POST", "stats/reset")
        moved = google_sandbox.host_move(
            BOOKINGS, booked["id"], "2030-05-06T14:00:00Z", "2030-05-06T14:30:00Z"
        )
        renamed = google_sandbox.host_rename(BOOKINGS, booked["id"], "Moved call")
        after_move = _changes(service, token)
        google_sandbox.host_delete(BOOKINGS, booked["id"])
        after_delete = _changes(service, after_move["nextSyncToken"])
        got = receiver.wait_for(4)

    assert moved["start"]["dateTime"] == "2030-05-06T14:00:00Z"
    assert moved["sequence"] == booked["sequence"] + 1 and moved["etag"] != booked["etag"]
    assert renamed["sequence"] == moved["sequence"]  # only time changes bump it
    assert renamed["etag"] != moved["etag"] and renamed["updated"] >= moved["updated"]
    (changed,) = after_move["items"]
    assert changed["summary"] == "Moved call" and changed["etag"] == renamed["etag"]
    assert [item["status"] for item in after_delete["items"]] == ["cancelled"]
    assert [r.headers["X-Goog-Resource-State"] for r in got] == ["sync"] + ["exists"] * 3
    stats = google_sandbox.control("GET", "stats")
    assert stats["calls"] == {"events.list": 2}  # host actions are not API calls
    calls = google_sandbox.control("GET", f"calendars/{BOOKINGS}/events")["events"][0]
    actions = [note["action"] for note in calls["_sandbox"]["calls"]]
    assert actions == ["insert", "host.patch", "host.patch", "host.delete"]


def test_lead_declines_in_google(google_sandbox: GoogleSandbox, credentials: Credentials) -> None:
    with google_sandbox.calendar(credentials) as service:
        booked = service.events().insert(calendarId=BOOKINGS, body=BOOKED).execute()
        token = _synced(service)
        declined = google_sandbox.attendee_responds(BOOKINGS, booked["id"], "LEAD@example.com")
        changes = _changes(service, token)

    assert declined["attendees"][0]["responseStatus"] == "declined"
    assert declined["etag"] != booked["etag"] and declined["sequence"] == booked["sequence"]
    assert [item["attendees"][0]["responseStatus"] for item in changes["items"]] == ["declined"]


def test_host_busy_events_block_free_busy_unless_transparent(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    opaque = google_sandbox.host_create_event(HOST, "2030-05-07T09:00:00Z", "2030-05-07T10:00:00Z")
    free = google_sandbox.host_create_event(
        HOST, "2030-05-07T11:00:00Z", "2030-05-07T12:00:00Z", transparency="transparent"
    )
    all_day = google_sandbox.host_create_event(HOST, "2030-05-08", "2030-05-09", all_day=True)
    with google_sandbox.calendar(credentials) as service:
        busy = (
            service.freebusy()
            .query(
                body={
                    "timeMin": "2030-05-07T00:00:00Z",
                    "timeMax": "2030-05-10T00:00:00Z",
                    "items": [{"id": HOST}],
                }
            )
            .execute()["calendars"][HOST]["busy"]
        )
        listed = service.events().list(calendarId="primary").execute()["items"]

    assert busy == [
        {"start": "2030-05-07T09:00:00Z", "end": "2030-05-07T10:00:00Z"},
        {"start": "2030-05-08T00:00:00Z", "end": "2030-05-09T00:00:00Z"},
    ]
    assert free["transparency"] == "transparent" and all_day["start"] == {"date": "2030-05-08"}
    assert [item["id"] for item in listed] == [opaque["id"], free["id"], all_day["id"]]


def test_host_controls_refuse_bad_input(google_sandbox: GoogleSandbox) -> None:
    http = google_sandbox.http
    base = f"_sandbox/calendars/{HOST}/events"
    unknown_calendar = http.post("_sandbox/calendars/nobody/events/x/delete")
    unknown_event = http.post(f"{base}/nope/summary", json={"summary": "x"})
    backwards = http.post(
        f"{base}",
        json={
            "start": {"dateTime": "2030-05-07T10:00:00Z"},
            "end": {"dateTime": "2030-05-07T09:00:00Z"},
        },
    )
    bad_status = http.post(f"{base}/x/response", json={"email": "a@b.c", "responseStatus": "no"})

    assert unknown_calendar.status_code == 404 and unknown_event.status_code == 404
    assert backwards.status_code == 400 and "error" in backwards.json()
    assert bad_status.status_code == 400


def test_recurring_busy_event_with_a_cancelled_instance(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    weekly = google_sandbox.host_create_event(
        HOST,
        "2030-06-03T09:00:00+02:00",
        "2030-06-03T10:00:00+02:00",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
        summary="Team sync",
    )
    window = {"timeMin": "2030-06-01T00:00:00Z", "timeMax": "2030-07-01T00:00:00Z"}
    with google_sandbox.calendar(credentials) as service:
        token = (
            service.events()
            .list(calendarId="primary", singleEvents=True)
            .execute()["nextSyncToken"]
        )
        cancelled = google_sandbox.host_cancel_instance(HOST, weekly["id"], "2030-06-10T07:00:00Z")
        single = service.events().list(calendarId="primary", singleEvents=True, **window).execute()
        masters = service.events().list(calendarId="primary", **window).execute()
        changes = (
            service.events()
            .list(calendarId="primary", singleEvents=True, syncToken=token)
            .execute()
        )
        busy = service.freebusy().query(body={**window, "items": [{"id": HOST}]}).execute()

    assert cancelled["id"] == f"{weekly['id']}_20300610T070000Z"
    assert [item["id"] for item in single["items"]] == [
        f"{weekly['id']}_20300603T070000Z",
        f"{weekly['id']}_20300617T070000Z",
    ]
    first = single["items"][0]
    assert first["recurringEventId"] == weekly["id"] and "recurrence" not in first
    assert first["originalStartTime"] == first["start"] == {"dateTime": "2030-06-03T07:00:00Z"}
    assert [(i["id"], i["status"]) for i in masters["items"]] == [
        (weekly["id"], "confirmed"),
        (cancelled["id"], "cancelled"),  # shown when singleEvents and showDeleted are off
    ]
    assert [(i["id"], i["status"]) for i in changes["items"]] == [(cancelled["id"], "cancelled")]
    assert busy["calendars"][HOST]["busy"] == [
        {"start": "2030-06-03T07:00:00Z", "end": "2030-06-03T08:00:00Z"},
        {"start": "2030-06-17T07:00:00Z", "end": "2030-06-17T08:00:00Z"},
    ]


def test_cancelling_a_missing_occurrence_is_404(google_sandbox: GoogleSandbox) -> None:
    weekly = google_sandbox.host_create_event(
        HOST, "2030-06-03", "2030-06-04", all_day=True, recurrence=["RRULE:FREQ=DAILY;COUNT=2"]
    )
    base = f"_sandbox/calendars/{HOST}/events/{weekly['id']}/instances/cancel"

    missing = google_sandbox.http.post(base, json={"originalStart": "2030-06-09"})
    cancelled = google_sandbox.host_cancel_instance(HOST, weekly["id"], "2030-06-04")

    assert missing.status_code == 404
    assert cancelled["id"] == f"{weekly['id']}_20300604"
    assert cancelled["start"] == {"date": "2030-06-04"} and cancelled["end"] == {
        "date": "2030-06-05"
    }


def test_host_of_an_account_not_seen_yet_gets_a_primary_calendar(
    google_sandbox: GoogleSandbox,
) -> None:
    created = google_sandbox.host_create_event(
        "new.host@sandbox.test", "2030-05-07T09:00:00Z", "2030-05-07T10:00:00Z"
    )

    events = google_sandbox.control("GET", "calendars/new.host@sandbox.test/events")["events"]
    assert [event["id"] for event in events] == [created["id"]]
    missing = google_sandbox.http.post("_sandbox/calendars/x@group.calendar.google.com/events")
    assert missing.status_code == 404
