"""The batch endpoint with google-api-python-client's BatchHttpRequest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httplib2
import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from tests.support.google_sandbox import GoogleSandbox


def _event(event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "summary": event_id,
        "start": {"dateTime": "2030-05-01T10:00:00Z"},
        "end": {"dateTime": "2030-05-01T11:00:00Z"},
    }


def test_batch_inserts_and_reports_each_outcome(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()
    outcomes: dict[str, Any] = {}

    def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
        if exception is not None:
            outcomes[request_id] = exception.status_code
        else:
            outcomes[request_id] = response["id"] if response else response

    with google_sandbox.calendar(credentials) as service:
        batch = BatchHttpRequest(callback=collect, batch_uri=google_sandbox.batch_uri)
        batch.add(
            service.events().insert(calendarId="primary", body=_event("batch00001")), request_id="a"
        )
        batch.add(
            service.events().insert(calendarId="primary", body=_event("batch00002")), request_id="b"
        )
        batch.add(
            service.events().insert(calendarId="primary", body=_event("batch00001")), request_id="c"
        )
        batch.add(
            service.events().delete(calendarId="primary", eventId="batch00002"), request_id="d"
        )
        batch.execute()
        listed = service.events().list(calendarId="primary").execute()

    assert outcomes == {"a": "batch00001", "b": "batch00002", "c": 409, "d": ""}
    assert [item["id"] for item in listed["items"]] == ["batch00001"]
    assert google_sandbox.control("GET", "stats")["calls"]["events.insert"] == 3


@pytest.fixture
def close_refresh_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close the connection googleapiclient opens to refresh batch credentials.

    ``googleapiclient._auth.refresh_credentials`` makes a new ``httplib2.Http``
    and never closes it; left to the garbage collector its socket raises a
    ResourceWarning, which this suite treats as an error.
    """
    created: list[httplib2.Http] = []
    original = httplib2.Http

    def tracked(*args: Any, **kwargs: Any) -> httplib2.Http:
        http = original(*args, **kwargs)
        created.append(http)
        return http

    monkeypatch.setattr(httplib2, "Http", tracked)
    yield
    for http in created:
        http.close()


@pytest.mark.usefixtures("close_refresh_connections")
def test_batch_parts_are_refreshed_after_401(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()
    stale = credentials.token
    google_sandbox.control("POST", "tokens/expire")
    outcomes: list[Any] = []

    with google_sandbox.calendar(credentials) as service:
        batch = BatchHttpRequest(
            callback=lambda _id, response, exc: outcomes.append(exc or response["id"]),
            batch_uri=google_sandbox.batch_uri,
        )
        batch.add(service.events().insert(calendarId="primary", body=_event("batch00003")))
        batch.execute()

    assert outcomes == ["batch00003"]
    assert credentials.token != stale


def test_more_than_fifty_calls_is_refused(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()

    with google_sandbox.calendar(credentials) as service:
        batch = BatchHttpRequest(batch_uri=google_sandbox.batch_uri)
        for _ in range(51):
            batch.add(service.calendarList().list())
        with pytest.raises(HttpError) as caught:
            batch.execute()

    assert caught.value.status_code == 400
    assert google_sandbox.control("GET", "stats")["total_calls"] == 0
