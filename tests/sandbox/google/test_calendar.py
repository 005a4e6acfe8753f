"""Calendar API v3 through the real google-api-python-client against the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from tests.support.google_sandbox import CALENDAR_SCOPES, GoogleSandbox

HOST = "host@sandbox.test"
EVENT_ID = "booking0123456789abcdefuv"


def _event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "summary": "Intro call with Lee",
        "start": {"dateTime": "2030-01-07T10:00:00+01:00"},
        "end": {"dateTime": "2030-01-07T10:30:00+01:00"},
        "attendees": [{"email": "lead@example.com"}],
        "extendedProperties": {"private": {"booking": "b1"}},
    }
    event.update(overrides)
    return event


def _error(exc: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.value.content)["error"]
    return body


@pytest.fixture
def credentials(google_sandbox: GoogleSandbox) -> Credentials:
    return google_sandbox.connect()


def test_client_builds_urls_under_calendar_v3(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        request = service.events().insert(calendarId="primary", body=_event())

        assert request.uri.startswith(f"{google_sandbox.base_url}calendar/v3/calendars/primary/")
        created = request.execute()

    assert created["status"] == "confirmed"
    assert created["organizer"] == {"email": HOST, "self": True}
    assert created["start"]["dateTime"] == "2030-01-07T09:00:00Z"  # echoed in the calendar's zone
    assert created["attendees"] == [{"email": "lead@example.com", "responseStatus": "needsAction"}]
    assert created["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")


def test_insert_with_client_id_then_duplicate_even_after_delete(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        created = events.insert(calendarId="primary", body=_event(id=EVENT_ID)).execute()
        events.delete(calendarId="primary", eventId=EVENT_ID, sendUpdates="all").execute()
        with pytest.raises(HttpError) as again:
            events.insert(calendarId="primary", body=_event(id=EVENT_ID)).execute()
        with pytest.raises(HttpError) as second_delete:
            events.delete(calendarId="primary", eventId=EVENT_ID).execute()
        fetched = events.get(calendarId="primary", eventId=EVENT_ID).execute()

    assert created["id"] == EVENT_ID
    assert again.value.status_code == 409
    assert _error(again) == {
        "code": 409,
        "message": "The requested identifier already exists.",
        "errors": [
            {
                "domain": "global",
                "reason": "duplicate",
                "message": "The requested identifier already exists.",
            }
        ],
    }
    assert second_delete.value.status_code == 410
    assert _error(second_delete)["errors"][0]["reason"] == "deleted"
    assert fetched["status"] == "cancelled"
    stored = google_sandbox.control("GET", f"calendars/{HOST}/events")["events"]
    assert [call["sendUpdates"] for call in stored[0]["_sandbox"]["calls"]] == [None, "all"]


def test_conference_data_version_1_creates_a_meet_link(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    conference = {"createRequest": {"requestId": "req-1"}}
    with google_sandbox.calendar(credentials) as service:
        with_meet = (
            service.events()
            .insert(
                calendarId="primary",
                body=_event(conferenceData=conference),
                conferenceDataVersion=1,
            )
            .execute()
        )
        without = (
            service.events()
            .insert(calendarId="primary", body=_event(conferenceData=conference))
            .execute()
        )

    uri = with_meet["conferenceData"]["entryPoints"][0]["uri"]
    assert uri.startswith("https://meet.google.com/")
    assert len(uri.rsplit("/", 1)[1]) == len("xxx-xxxx-xxx")
    assert with_meet["hangoutLink"] == uri
    assert with_meet["conferenceData"]["createRequest"]["status"] == {"statusCode": "success"}
    assert "conferenceData" not in without and "hangoutLink" not in without


def test_list_filters_pages_and_hides_cancelled(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        for day in range(1, 6):
            body = _event(
                start={"dateTime": f"2030-02-0{day}T10:00:00Z"},
                end={"dateTime": f"2030-02-0{day}T11:00:00Z"},
                extendedProperties={"private": {"booking": f"b{day}"}},
            )
            events.insert(calendarId="primary", body=body).execute()
        first = events.list(calendarId="primary", maxResults=2).execute()
        second = events.list(
            calendarId="primary", maxResults=2, pageToken=first["nextPageToken"]
        ).execute()
        by_property = events.list(
            calendarId="primary", privateExtendedProperty="booking=b3"
        ).execute()
        window = events.list(
            calendarId="primary",
            timeMin="2030-02-02T10:30:00Z",
            timeMax="2030-02-04T10:00:00Z",
        ).execute()
        target = by_property["items"][0]["id"]
        events.delete(calendarId="primary", eventId=target).execute()
        after = events.list(calendarId="primary", privateExtendedProperty="booking=b3").execute()
        deleted = events.list(
            calendarId="primary", privateExtendedProperty="booking=b3", showDeleted=True
        ).execute()

    starts = [item["start"]["dateTime"][:10] for item in first["items"] + second["items"]]
    assert starts == ["2030-02-01", "2030-02-02", "2030-02-03", "2030-02-04"]
    assert "nextPageToken" in second
    assert [item["extendedProperties"]["private"]["booking"] for item in by_property["items"]] == [
        "b3"
    ]
    assert [item["start"]["dateTime"][:10] for item in window["items"]] == [
        "2030-02-02",
        "2030-02-03",
    ]
    assert after["items"] == []
    assert [item["status"] for item in deleted["items"]] == ["cancelled"]


def test_patch_merges_and_bumps_sequence_on_time_change(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        created = events.insert(calendarId="primary", body=_event(id=EVENT_ID)).execute()
        renamed = events.patch(
            calendarId="primary", eventId=EVENT_ID, body={"summary": "Renamed"}
        ).execute()
        moved = events.patch(
            calendarId="primary",
            eventId=EVENT_ID,
            body={"end": {"dateTime": "2030-01-07T11:00:00+01:00"}},
        ).execute()
        with pytest.raises(HttpError) as missing:
            events.patch(calendarId="primary", eventId="nosuchevent1", body={}).execute()

    assert renamed["summary"] == "Renamed"
    assert renamed["attendees"] == created["attendees"]
    assert renamed["sequence"] == 0
    assert moved["sequence"] == 1
    assert moved["end"]["dateTime"] == "2030-01-07T10:00:00Z"
    assert moved["etag"] != renamed["etag"]
    assert missing.value.status_code == 404
    assert _error(missing)["message"] == "Not Found"


def test_calendar_list_offers_a_picker(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        listed = service.calendarList().list().execute()
        writable = service.calendarList().list(minAccessRole="writer").execute()
        primary = service.calendarList().get(calendarId="primary").execute()

    roles = {item["id"]: item["accessRole"] for item in listed["items"]}
    assert roles[HOST] == "owner"
    assert sorted(roles.values()) == ["owner", "owner", "reader"]
    assert [item["id"] for item in listed["items"] if item.get("primary")] == [HOST]
    assert len(writable["items"]) == 2
    assert primary["id"] == HOST and primary["primary"] is True


def test_calendars_get_needs_a_calendar_read_scope(google_sandbox: GoogleSandbox) -> None:
    least_privilege = google_sandbox.connect()
    readonly = google_sandbox.connect(
        scopes=["openid", "https://www.googleapis.com/auth/calendar.readonly"]
    )

    with google_sandbox.calendar(least_privilege) as service, pytest.raises(HttpError) as caught:
        service.calendars().get(calendarId="primary").execute()
    with google_sandbox.calendar(readonly) as service:
        primary = service.calendars().get(calendarId="primary").execute()

    assert caught.value.status_code == 403  # as at Google: the app's scopes do not cover it
    assert primary["id"] == HOST and primary["kind"] == "calendar#calendar"


def test_reader_calendar_and_read_only_switch_refuse_writes(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        items = service.calendarList().list().execute()["items"]
        reader = next(item["id"] for item in items if item["accessRole"] == "reader")
        with pytest.raises(HttpError) as on_reader:
            service.events().insert(calendarId=reader, body=_event()).execute()
        google_sandbox.control("POST", f"calendars/{HOST}/read-only")
        with pytest.raises(HttpError) as on_primary:
            service.events().insert(calendarId="primary", body=_event()).execute()

    for caught in (on_reader, on_primary):
        assert caught.value.status_code == 403
        assert _error(caught)["errors"][0]["reason"] == "requiredAccessLevel"


def test_deleted_calendar_is_not_found(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    google_sandbox.control("DELETE", f"calendars/{HOST}")

    with google_sandbox.calendar(credentials) as service, pytest.raises(HttpError) as caught:
        service.events().insert(calendarId="primary", body=_event()).execute()

    assert caught.value.status_code == 404
    assert _error(caught) == {
        "errors": [{"domain": "global", "reason": "notFound", "message": "Not Found"}],
        "code": 404,
        "message": "Not Found",
    }


def test_other_accounts_calendars_are_invisible(google_sandbox: GoogleSandbox) -> None:
    mine = google_sandbox.connect()
    theirs = google_sandbox.connect(account_email="other@sandbox.test")

    with google_sandbox.calendar(theirs) as service:
        service.events().insert(calendarId="primary", body=_event()).execute()
    with google_sandbox.calendar(mine) as service, pytest.raises(HttpError) as caught:
        service.events().list(calendarId="other@sandbox.test").execute()

    assert caught.value.status_code == 404


def test_expired_or_revoked_token_gets_googles_401(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()
    google_sandbox.control("POST", "tokens/expire")

    response = google_sandbox.http.get(
        "calendar/v3/users/me/calendarList",
        headers={"Authorization": f"Bearer {credentials.token}"},
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="https://accounts.google.com/"'
    error = response.json()["error"]
    assert error["status"] == "UNAUTHENTICATED"
    assert error["errors"][0] == {
        "message": "Invalid Credentials",
        "domain": "global",
        "reason": "authError",
        "location": "Authorization",
        "locationType": "header",
    }


def test_missing_credentials_are_login_required(google_sandbox: GoogleSandbox) -> None:
    response = google_sandbox.http.get("calendar/v3/users/me/calendarList")

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["message"].startswith("Request is missing required authentication credential.")
    assert error["errors"][0]["reason"] == "required"
    assert error["errors"][0]["message"] == "Login Required."


def test_client_refreshes_after_401_and_succeeds(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()
    stale = credentials.token
    google_sandbox.control("POST", "tokens/expire")

    # google-auth-httplib2 refreshes once on 401 and replays the request.
    with google_sandbox.calendar(credentials) as service:
        listed = service.calendarList().list().execute()

    assert listed["items"]
    assert credentials.token != stale


def test_missing_scope_is_insufficient_permissions(
    google_sandbox: GoogleSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    events_scope = "https://www.googleapis.com/auth/calendar.events.owned"
    credentials = google_sandbox.connect(untick=[events_scope])

    with google_sandbox.calendar(credentials) as service:
        with pytest.raises(HttpError) as caught:
            service.events().insert(calendarId="primary", body=_event()).execute()
        listed = service.calendarList().list().execute()

    assert caught.value.status_code == 403
    assert _error(caught) == {
        "code": 403,
        "message": "Request had insufficient authentication scopes.",
        "errors": [
            {
                "message": "Insufficient Permission",
                "domain": "global",
                "reason": "insufficientPermissions",
            }
        ],
        "status": "PERMISSION_DENIED",
    }
    assert listed["items"]  # the scopes that were granted still work
    assert set(CALENDAR_SCOPES) - set(credentials.granted_scopes or ()) == {events_scope}
