"""Incremental sync through the real client: sync tokens, pages, 410 and forbidden mixes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from tests.support.google_sandbox import GoogleSandbox

HOST = "host@sandbox.test"


def _event(day: int, **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "summary": f"Call {day}",
        "start": {"dateTime": f"2030-03-{day:02d}T10:00:00Z"},
        "end": {"dateTime": f"2030-03-{day:02d}T11:00:00Z"},
    }
    event.update(overrides)
    return event


def _full_sync(events: Any, **params: Any) -> tuple[list[dict[str, Any]], str, int]:
    """Page to the end as a client must; returns items, the sync token and the page count."""
    items: list[dict[str, Any]] = []
    page_token = None
    pages = 0
    while True:
        page = events.list(calendarId="primary", pageToken=page_token, **params).execute()
        pages += 1
        items += page["items"]
        page_token = page.get("nextPageToken")
        if page_token is None:
            return items, page["nextSyncToken"], pages
        assert "nextSyncToken" not in page  # only the last page carries it


@pytest.fixture
def credentials(google_sandbox: GoogleSandbox) -> Credentials:
    return google_sandbox.connect()


def test_sync_token_returns_only_changes_including_deletions(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        created = [events.insert(calendarId="primary", body=_event(d)).execute() for d in (1, 2, 3)]
        items, token, _ = _full_sync(events, timeMin="2030-01-01T00:00:00Z")
        nothing = events.list(calendarId="primary", syncToken=token).execute()
        moved = events.patch(
            calendarId="primary",
            eventId=created[0]["id"],
            body={
                "start": {"dateTime": "2030-03-01T12:00:00Z"},
                "end": {"dateTime": "2030-03-01T13:00:00Z"},
            },
        ).execute()
        events.delete(calendarId="primary", eventId=created[1]["id"]).execute()
        changes = events.list(calendarId="primary", syncToken=nothing["nextSyncToken"]).execute()
        again = events.list(calendarId="primary", syncToken=changes["nextSyncToken"]).execute()

    assert [item["id"] for item in items] == [event["id"] for event in created]
    assert nothing["items"] == [] and nothing["nextSyncToken"]
    by_id = {item["id"]: item for item in changes["items"]}
    assert set(by_id) == {created[0]["id"], created[1]["id"]}
    assert by_id[created[0]["id"]]["start"]["dateTime"] == "2030-03-01T12:00:00Z"
    assert by_id[created[1]["id"]]["status"] == "cancelled"  # without asking for showDeleted
    assert moved["etag"] != created[0]["etag"] and moved["updated"] >= created[0]["updated"]
    assert moved["sequence"] == created[0]["sequence"] + 1
    assert again["items"] == []


def test_pages_of_a_full_and_an_incremental_sync(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        created = [
            events.insert(calendarId="primary", body=_event(d)).execute() for d in range(1, 8)
        ]
        items, token, pages = _full_sync(events, maxResults=3)
        for event in created[:5]:
            events.patch(calendarId="primary", eventId=event["id"], body={"summary": "x"}).execute()
        first = events.list(calendarId="primary", syncToken=token, maxResults=2).execute()
        # A change between pages must not be skipped: it comes with the next sync.
        events.patch(
            calendarId="primary", eventId=created[6]["id"], body={"summary": "y"}
        ).execute()
        rest, next_token, _ = _drain(events, token, first)
        late = events.list(calendarId="primary", syncToken=next_token).execute()

    assert pages == 3
    assert [item["id"] for item in items] == [event["id"] for event in created]
    assert [item["id"] for item in first["items"] + rest] == [e["id"] for e in created[:5]]
    assert [item["id"] for item in late["items"]] == [created[6]["id"]]


def _drain(events: Any, token: str, page: dict[str, Any]) -> tuple[list[dict[str, Any]], str, int]:
    items: list[dict[str, Any]] = []
    pages = 0
    while "nextPageToken" in page:
        page = events.list(
            calendarId="primary", syncToken=token, maxResults=2, pageToken=page["nextPageToken"]
        ).execute()
        items += page["items"]
        pages += 1
    return items, page["nextSyncToken"], pages


def test_expired_or_unknown_sync_token_is_410_full_sync_required(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        events.insert(calendarId="primary", body=_event(4)).execute()
        _, token, _ = _full_sync(events)
        google_sandbox.expire_sync_tokens(HOST)
        with pytest.raises(HttpError) as expired:
            events.list(calendarId="primary", syncToken=token).execute()
        with pytest.raises(HttpError) as unknown:
            events.list(calendarId="primary", syncToken="not-a-token").execute()
        items, fresh, _ = _full_sync(events)
        works = events.list(calendarId="primary", syncToken=fresh).execute()

    for failure in (expired, unknown):
        assert failure.value.status_code == 410
        error = json.loads(failure.value.content)["error"]
        assert error["errors"][0]["reason"] == "fullSyncRequired"
        assert error["message"] == "Sync token is no longer valid, a full sync is required."
    assert len(items) == 1 and works["items"] == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timeMin", "2030-01-01T00:00:00Z"),
        ("timeMax", "2030-01-01T00:00:00Z"),
        ("orderBy", "updated"),
        ("q", "call"),
        ("updatedMin", "2030-01-01T00:00:00Z"),
        ("iCalUID", "x@google.com"),
        ("privateExtendedProperty", "booking=b1"),
    ],
)
def test_sync_token_with_a_forbidden_parameter_is_400(
    google_sandbox: GoogleSandbox, credentials: Credentials, name: str, value: str
) -> None:
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        _, token, _ = _full_sync(events)
        with pytest.raises(HttpError) as refused:
            events.list(calendarId="primary", syncToken=token, **{name: value}).execute()

    assert refused.value.status_code == 400
    assert name in json.loads(refused.value.content)["error"]["message"]


def test_narrowed_listing_gives_no_sync_token_and_page_size_is_capped(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        events.insert(calendarId="primary", body=_event(5)).execute()
        searched = events.list(calendarId="primary", q="call").execute()
        huge = events.list(calendarId="primary", maxResults=100000).execute()
        with pytest.raises(HttpError) as bad_page:
            events.list(calendarId="primary", pageToken="garbage!").execute()

    assert len(searched["items"]) == 1 and "nextSyncToken" not in searched
    assert len(huge["items"]) == 1 and "nextSyncToken" in huge
    assert bad_page.value.status_code == 400


def test_stats_count_list_calls_with_sync_tokens(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        events = service.events()
        _, token, _ = _full_sync(events)
        google_sandbox.control("POST", "stats/reset")
        events.list(calendarId="primary", syncToken=token).execute()

    assert google_sandbox.control("GET", "stats")["calls"] == {"events.list": 1}
