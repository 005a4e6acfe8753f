"""GoogleCalendarClient over real HTTP against a loopback server with Google's answers."""

from __future__ import annotations

import json
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from leadscalendar.config import Settings
from leadscalendar.google.calendar import (
    BusyInterval,
    CalendarClient,
    GoogleCalendarClient,
)
from leadscalendar.google.errors import Action, Operation, classify
from leadscalendar.google.events import (
    BOOKING_ID_PROPERTY,
    Attendee,
    EventSpec,
    build_event_body,
    event_id_for,
)
from tests.google.fake_google import Canned, FakeGoogle, Recorded, as_json

BOOKING = uuid.UUID("6f1c2a4e-9d1b-4c3e-8a55-0d4c7f3b2e19")
EVENT_ID = event_id_for(BOOKING)
EVENTS = "/calendar/v3/calendars/primary/events"
ACCESS = "ya29.a0-test-access"


def credentials(fake: FakeGoogle) -> Credentials:
    return Credentials(
        token=ACCESS,
        refresh_token="1//0g-test-refresh",
        token_uri=f"{fake.base}token",
        client_id="leadscalendar-test.apps.googleusercontent.com",
        client_secret="test-client-secret",
    )


def client(fake: FakeGoogle, timeout: float = 5.0) -> GoogleCalendarClient:
    return GoogleCalendarClient(credentials(fake), api_base=fake.base, timeout=timeout)


def spec(google_meet: bool = True) -> EventSpec:
    return EventSpec(
        booking_id=BOOKING,
        summary="Discovery call with Ada Lovelace",
        start=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        end=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        time_zone="Europe/Paris",
        attendees=(Attendee("ada@example.com", "Ada Lovelace"),),
        google_meet=google_meet,
    )


def google_event(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What events.insert answers for ``body``, the way Google shapes it."""
    event = {
        "kind": "calendar#event",
        "etag": '"3495831012345678"',
        "id": body["id"],
        "status": "confirmed",
        "htmlLink": f"https://www.google.com/calendar/event?eid={body['id']}",
        "created": "2026-11-25T12:00:00.000Z",
        "updated": "2026-11-25T12:00:00.123Z",
        "summary": body["summary"],
        "creator": {"email": "host@example.com", "self": True},
        "organizer": {"email": "host@example.com", "self": True},
        "start": body["start"],
        "end": body["end"],
        "iCalUID": f"{body['id']}@google.com",
        "sequence": 0,
        "attendees": [{**a, "responseStatus": "needsAction"} for a in body.get("attendees", [])],
        "extendedProperties": body["extendedProperties"],
        "reminders": body["reminders"],
        "eventType": "default",
    }
    if "conferenceData" in body:
        event["hangoutLink"] = "https://meet.google.com/abc-defg-hij"
        event["conferenceData"] = {
            "createRequest": {
                **body["conferenceData"]["createRequest"],
                "status": {"statusCode": "success"},
            },
            "entryPoints": [
                {
                    "entryPointType": "video",
                    "uri": "https://meet.google.com/abc-defg-hij",
                    "label": "meet.google.com/abc-defg-hij",
                },
                {"entryPointType": "phone", "uri": "tel:+33-1-23-45-67-89", "pin": "123"},
            ],
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            "conferenceId": "abc-defg-hij",
        }
    event.update(changes)
    return event


def error(status: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    return {
        "error": {
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "code": status,
            "message": message,
        }
    }


def test_google_client_satisfies_the_protocol(fake_google: FakeGoogle) -> None:
    implementation: CalendarClient = client(fake_google)
    assert implementation is not None


def test_insert_event_sends_what_google_expects(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    fake_google.route("POST", EVENTS, as_json(200, google_event(body)))

    created = client(fake_google).insert_event("primary", body, send_updates="all")

    sent = fake_google.only("POST", EVENTS)
    assert sent.headers["authorization"] == f"Bearer {ACCESS}"
    assert sent.headers["content-type"].startswith("application/json")
    assert sent.query["sendUpdates"] == ["all"]
    assert sent.query["conferenceDataVersion"] == ["1"]
    assert sent.json() == body
    assert created.id == EVENT_ID
    assert created.status == "confirmed"
    assert created.html_link == f"https://www.google.com/calendar/event?eid={EVENT_ID}"
    assert created.meet_link == "https://meet.google.com/abc-defg-hij"
    assert created.conference_status == "success"
    assert created.booking_id == BOOKING
    assert created.etag == '"3495831012345678"'
    assert created.start == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert created.end == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_insert_without_meet_does_not_ask_for_conference_data(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec(google_meet=False))
    fake_google.route("POST", EVENTS, as_json(200, google_event(body)))

    created = client(fake_google).insert_event("primary", body, send_updates="none")

    sent = fake_google.only("POST", EVENTS)
    assert sent.query["conferenceDataVersion"] == ["0"]
    assert sent.query["sendUpdates"] == ["none"]
    assert created.meet_link is None
    assert created.conference_status is None


def test_meet_still_being_created(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    pending = google_event(body)
    pending.pop("hangoutLink")
    pending["conferenceData"] = {
        "createRequest": {
            **body["conferenceData"]["createRequest"],
            "status": {"statusCode": "pending"},
        }
    }
    fake_google.route("POST", EVENTS, as_json(200, pending))

    created = client(fake_google).insert_event("primary", body)

    assert created.meet_link is None
    assert created.conference_status == "pending"


def test_calendar_ids_are_percent_encoded_in_the_path(fake_google: FakeGoogle) -> None:
    calendar_id = "c_team#sales@group.calendar.google.com"
    body = build_event_body(spec(google_meet=False))
    path = f"/calendar/v3/calendars/{calendar_id}/events/{EVENT_ID}"
    fake_google.route("GET", path, as_json(200, google_event(body)))

    event = client(fake_google).get_event(calendar_id, EVENT_ID)

    sent = fake_google.only("GET", path)
    assert sent.headers[":raw-path"] == (
        f"/calendar/v3/calendars/c_team%23sales%40group.calendar.google.com/events/{EVENT_ID}"
    )
    assert event.booking_id == BOOKING


def test_duplicate_then_fetch_tells_ours_from_a_cancelled_copy(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    conflict = error(409, "duplicate", "The requested identifier already exists.")
    fake_google.route("POST", EVENTS, as_json(409, conflict))
    fake_google.route(
        "GET", f"{EVENTS}/{EVENT_ID}", as_json(200, google_event(body, status="cancelled"))
    )
    calendar = client(fake_google)

    with pytest.raises(HttpError) as caught:
        calendar.insert_event("primary", body)
    outcome = classify(caught.value, operation=Operation.EVENT_INSERT)
    assert outcome.kind is Action.DUPLICATE
    assert outcome.message == "The requested identifier already exists."

    existing = calendar.get_event("primary", EVENT_ID)
    assert existing.booking_id == BOOKING
    assert existing.status == "cancelled"


def test_no_retries_inside_the_client(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    fake_google.route(
        "POST",
        EVENTS,
        as_json(503, error(503, "backendError", "Backend Error")),
        as_json(200, google_event(body)),
    )

    with pytest.raises(HttpError) as caught:
        client(fake_google).insert_event("primary", body)

    assert len(fake_google.requests) == 1
    assert classify(caught.value, operation=Operation.EVENT_INSERT).kind is Action.BACKOFF


def test_retry_after_reaches_classify(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    limited = error(429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits")
    fake_google.route("POST", EVENTS, as_json(429, limited, **{"Retry-After": "30"}))

    with pytest.raises(HttpError) as caught:
        client(fake_google).insert_event("primary", body)

    outcome = classify(caught.value, operation=Operation.EVENT_INSERT)
    assert (outcome.kind, outcome.retry_after) == (Action.BACKOFF, 30.0)


def test_401_refreshes_once_and_retries_with_the_new_token(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    expired = error(401, "authError", "Invalid Credentials")
    fake_google.route("POST", EVENTS, as_json(401, expired), as_json(200, google_event(body)))
    fake_google.route(
        "POST",
        "/token",
        as_json(200, {"access_token": "ya29.fresh", "expires_in": 3599, "token_type": "Bearer"}),
    )
    calendar = client(fake_google)

    created = calendar.insert_event("primary", body)

    assert created.id == EVENT_ID
    token_call = fake_google.only("POST", "/token")
    form = dict(pair.split("=", 1) for pair in token_call.body.decode().split("&"))
    assert form["grant_type"] == "refresh_token"
    inserts = [r for r in fake_google.requests if r.path == EVENTS]
    assert [r.headers["authorization"] for r in inserts] == [
        f"Bearer {ACCESS}",
        "Bearer ya29.fresh",
    ]
    # The caller persists the new token from the credentials it passed in.
    assert calendar.credentials.token == "ya29.fresh"


def test_revoked_refresh_token_needs_reauth(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    fake_google.route("POST", EVENTS, as_json(401, error(401, "authError", "Invalid Credentials")))
    fake_google.route(
        "POST",
        "/token",
        as_json(
            400,
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
        ),
    )

    with pytest.raises(RefreshError) as caught:
        client(fake_google).insert_event("primary", body)

    outcome = classify(caught.value, operation=Operation.EVENT_INSERT)
    assert outcome.kind is Action.NEEDS_REAUTH
    assert outcome.message == "Token has been expired or revoked."
    assert "1//0g-test-refresh" not in repr(outcome)


def test_timeout_backs_off(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    slow = as_json(200, google_event(body))
    slow.delay = 1.0
    fake_google.route("POST", EVENTS, slow)

    with pytest.raises(TimeoutError) as caught:
        client(fake_google, timeout=0.2).insert_event("primary", body)

    assert classify(caught.value, operation=Operation.EVENT_INSERT).kind is Action.BACKOFF


def test_connection_refused_backs_off(fake_google: FakeGoogle) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    calendar = GoogleCalendarClient(
        credentials(fake_google), api_base=f"http://127.0.0.1:{port}", timeout=2
    )

    with pytest.raises(OSError) as caught:
        calendar.get_event("primary", EVENT_ID)

    assert classify(caught.value, operation=Operation.EVENT_GET).kind is Action.BACKOFF


def test_patch_sends_if_match_and_412_means_precondition(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec())
    path = f"{EVENTS}/{EVENT_ID}"
    failed = error(412, "conditionNotMet", "Precondition Failed")
    fake_google.route("PATCH", path, as_json(412, failed))

    with pytest.raises(HttpError) as caught:
        client(fake_google).patch_event(
            "primary",
            EVENT_ID,
            {"status": "cancelled"},
            send_updates="all",
            if_match='"3495831012345678"',
        )

    sent = fake_google.only("PATCH", path)
    assert sent.headers["if-match"] == '"3495831012345678"'
    assert sent.json() == {"status": "cancelled"}
    assert sent.query["sendUpdates"] == ["all"]
    assert classify(caught.value, operation=Operation.EVENT_PATCH).kind is Action.PRECONDITION
    assert body["id"] == EVENT_ID


def test_patch_returns_the_updated_event(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec(google_meet=False))
    path = f"{EVENTS}/{EVENT_ID}"
    fake_google.route("PATCH", path, as_json(200, google_event(body, summary="Moved")))

    updated = client(fake_google).patch_event("primary", EVENT_ID, {"summary": "Moved"})

    assert "if-match" not in fake_google.only("PATCH", path).headers
    assert updated.id == EVENT_ID


def test_delete_and_already_deleted(fake_google: FakeGoogle) -> None:
    path = f"{EVENTS}/{EVENT_ID}"
    gone = error(410, "deleted", "Resource has been deleted")
    fake_google.route("DELETE", path, Canned(204, b""), as_json(410, gone))
    calendar = client(fake_google)

    calendar.delete_event("primary", EVENT_ID, send_updates="externalOnly")
    with pytest.raises(HttpError) as caught:
        calendar.delete_event("primary", EVENT_ID)

    first = fake_google.requests[0]
    assert (first.method, first.path, first.query["sendUpdates"]) == (
        "DELETE",
        path,
        ["externalOnly"],
    )
    assert classify(caught.value, operation=Operation.EVENT_DELETE).kind is Action.EVENT_GONE


def test_list_calendars_follows_pages(fake_google: FakeGoogle) -> None:
    path = "/calendar/v3/users/me/calendarList"

    def page(request: Recorded) -> Canned:
        if request.query.get("pageToken") == ["p2"]:
            return as_json(
                200,
                {
                    "kind": "calendar#calendarList",
                    "items": [
                        {
                            "kind": "calendar#calendarListEntry",
                            "id": "en.usa#holiday@group.v.calendar.google.com",
                            "summary": "Holidays in United States",
                            "accessRole": "reader",
                            "timeZone": "America/New_York",
                        }
                    ],
                },
            )
        return as_json(
            200,
            {
                "kind": "calendar#calendarList",
                "nextPageToken": "p2",
                "items": [
                    {
                        "id": "host@example.com",
                        "summary": "host@example.com",
                        "primary": True,
                        "accessRole": "owner",
                        "timeZone": "Europe/Paris",
                    },
                    {
                        "id": "c_123@group.calendar.google.com",
                        "summary": "Team",
                        "summaryOverride": "Sales team",
                        "accessRole": "writer",
                    },
                ],
            },
        )

    fake_google.route("GET", path, page)

    calendars = client(fake_google).list_calendars()

    assert [c.id for c in calendars] == [
        "host@example.com",
        "c_123@group.calendar.google.com",
        "en.usa#holiday@group.v.calendar.google.com",
    ]
    assert [c.writable for c in calendars] == [True, True, False]
    assert calendars[0].primary and calendars[0].time_zone == "Europe/Paris"
    assert calendars[1].summary == "Sales team"
    assert len(fake_google.requests) == 2
    assert fake_google.requests[0].query["maxResults"] == ["250"]


def test_get_calendar(fake_google: FakeGoogle) -> None:
    path = "/calendar/v3/users/me/calendarList/primary"
    fake_google.route(
        "GET",
        path,
        as_json(200, {"id": "host@example.com", "summary": "Host", "accessRole": "freeBusyReader"}),
    )

    calendar = client(fake_google).get_calendar("primary")

    assert (calendar.id, calendar.writable, calendar.primary) == ("host@example.com", False, False)


def test_free_busy(fake_google: FakeGoogle) -> None:
    path = "/calendar/v3/freeBusy"
    fake_google.route(
        "POST",
        path,
        as_json(
            200,
            {
                "kind": "calendar#freeBusy",
                "timeMin": "2026-12-01T00:00:00.000Z",
                "timeMax": "2026-12-02T00:00:00.000Z",
                "calendars": {
                    "primary": {
                        "busy": [
                            {"start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"},
                            {"start": "2026-12-01T14:30:00Z", "end": "2026-12-01T15:00:00Z"},
                        ]
                    },
                    "gone@group.calendar.google.com": {
                        "errors": [{"domain": "global", "reason": "notFound"}],
                        "busy": [],
                    },
                },
            },
        ),
    )

    result = client(fake_google).free_busy(
        ["primary", "gone@group.calendar.google.com"],
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2026, 12, 2, tzinfo=UTC),
    )

    assert fake_google.only("POST", path).json() == {
        "timeMin": "2026-12-01T00:00:00+00:00",
        "timeMax": "2026-12-02T00:00:00+00:00",
        "items": [{"id": "primary"}, {"id": "gone@group.calendar.google.com"}],
    }
    assert result.busy == {
        "primary": (
            BusyInterval(
                datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 1, 10, tzinfo=UTC)
            ),
            BusyInterval(
                datetime(2026, 12, 1, 14, 30, tzinfo=UTC), datetime(2026, 12, 1, 15, tzinfo=UTC)
            ),
        )
    }
    assert result.errors == {"gone@group.calendar.google.com": ("notFound",)}


def test_free_busy_refuses_naive_times(fake_google: FakeGoogle) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        client(fake_google).free_busy(
            ["primary"],
            datetime(2026, 12, 1),  # noqa: DTZ001 - naive on purpose
            datetime(2026, 12, 2, tzinfo=UTC),
        )
    assert fake_google.requests == []


def _batch_responder(request: Recorded) -> Canned:
    """Answer a multipart/mixed batch the way Google does: 1st insert ok, 2nd a 409."""
    envelope = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(envelope + request.body)
    boundary = "batch_test_boundary"
    parts: list[bytes] = []
    for index, part in enumerate(message.iter_parts()):
        content_id = str(part["Content-ID"]).strip("<>")
        inner = part.get_payload(decode=True)
        assert isinstance(inner, bytes)
        inner = inner.replace(b"\r\n", b"\n")
        request_line, _, rest = inner.partition(b"\n")
        inner_body = json.loads(rest.partition(b"\n\n")[2])
        assert request_line.startswith(b"POST /calendar/v3/calendars/primary/events?")
        if index == 0:
            status_line, payload = b"HTTP/1.1 200 OK", google_event(inner_body)
        else:
            status_line = b"HTTP/1.1 409 Conflict"
            payload = error(409, "duplicate", "The requested identifier already exists.")
        parts.append(
            b"--" + boundary.encode() + b"\r\n"
            b"Content-Type: application/http\r\n"
            b"Content-ID: <response-"
            + content_id.encode()
            + b">\r\n\r\n"
            + status_line
            + b"\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
            + json.dumps(payload).encode()
            + b"\r\n"
        )
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return Canned(200, body, {"Content-Type": f"multipart/mixed; boundary={boundary}"})


def test_insert_events_batch(fake_google: FakeGoogle) -> None:
    other = uuid.UUID("00000000-0000-4000-8000-000000000001")
    bodies = [
        build_event_body(spec(google_meet=False)),
        build_event_body(EventSpec(**{**spec(google_meet=False).__dict__, "booking_id": other})),
    ]
    fake_google.route("POST", "/batch/calendar/v3", _batch_responder)

    items = client(fake_google).insert_events_batch("primary", bodies, send_updates="none")

    sent = fake_google.only("POST", "/batch/calendar/v3")
    assert sent.headers["authorization"] == f"Bearer {ACCESS}"
    assert [item.event_id for item in items] == [EVENT_ID, event_id_for(other)]
    first, second = items
    assert first.event is not None and first.event.booking_id == BOOKING
    assert first.error is None
    assert second.event is None and second.error is not None
    assert classify(second.error, operation=Operation.EVENT_INSERT).kind is Action.DUPLICATE
    assert BOOKING_ID_PROPERTY in bodies[1]["extendedProperties"]["private"]


def test_batch_limits(fake_google: FakeGoogle) -> None:
    calendar = client(fake_google)
    assert calendar.insert_events_batch("primary", []) == ()
    with pytest.raises(ValueError, match="1000"):
        calendar.insert_events_batch("primary", [{"id": str(i)} for i in range(1001)])
    assert fake_google.requests == []


def test_from_settings_uses_the_configured_endpoint(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec(google_meet=False))
    fake_google.route("GET", f"{EVENTS}/{EVENT_ID}", as_json(200, google_event(body)))
    settings = Settings(google_api_base=fake_google.base.rstrip("/"))

    calendar = GoogleCalendarClient.from_settings(settings, credentials(fake_google))

    assert calendar.get_event("primary", EVENT_ID).id == EVENT_ID


def test_expired_token_is_refreshed_before_the_call(fake_google: FakeGoogle) -> None:
    body = build_event_body(spec(google_meet=False))
    fake_google.route("GET", f"{EVENTS}/{EVENT_ID}", as_json(200, google_event(body)))
    fake_google.route(
        "POST",
        "/token",
        as_json(200, {"access_token": "ya29.fresh", "expires_in": 3599, "token_type": "Bearer"}),
    )
    stale = credentials(fake_google)
    # google-auth compares naive UTC expiries.
    stale.expiry = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)

    GoogleCalendarClient(stale, api_base=fake_google.base, timeout=5).get_event("primary", EVENT_ID)

    assert [r.path for r in fake_google.requests] == ["/token", f"{EVENTS}/{EVENT_ID}"]
    assert fake_google.requests[1].headers["authorization"] == "Bearer ya29.fresh"


def test_one_client_serves_many_threads(fake_google: FakeGoogle) -> None:
    # httplib2.Http is not thread-safe; a client shared by worker threads must
    # still give every call its own connection and its own answer.
    def respond(request: Recorded) -> Canned:
        return as_json(200, google_event(request.json()))

    fake_google.route("POST", EVENTS, respond)
    calendar = client(fake_google)
    booking_ids = [uuid.UUID(int=n) for n in range(1, 33)]

    def insert(booking_id: uuid.UUID) -> uuid.UUID | None:
        body = build_event_body(EventSpec(**{**spec().__dict__, "booking_id": booking_id}))
        return calendar.insert_event("primary", body).booking_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(insert, booking_ids))

    assert results == booking_ids
    assert len(fake_google.requests) == 32
