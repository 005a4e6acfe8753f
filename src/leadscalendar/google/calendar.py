"""The Calendar v3 client: a thin layer over google-api-python-client.

Choices, and why:

* Errors are not wrapped. Every exception (``HttpError``, ``RefreshError``,
  timeouts, network errors) propagates as raised, and the job runner passes it
  to ``errors.classify`` - one place that knows Google's reasons, instead of a
  second, lossy translation here.
* No retries here: ``execute(num_retries=0)``. Retrying belongs to the job queue,
  which persists attempts, honours Retry-After and parks; a retry loop hidden in
  the client would multiply attempts and block a worker while it sleeps.
* httplib2 is not thread-safe, so a call uses an ``httplib2.Http`` of its
  own thread, wrapped in an ``AuthorizedHttp`` with the host's credentials:
  a fresh one closed afterwards, or, inside ``threadlocal.kept_connections()`` (the
  worker's job threads), one kept per thread so connections are reused.
* ``AuthorizedHttp`` refreshes an expired access token before a call, and once
  more on a 401. The ``Credentials`` object is updated in place: callers
  persist ``credentials.token`` when it changed after a call.
* The discovery document is the one bundled with the library (no network at
  start), and ``api_base`` replaces only the host part, so the same code talks
  to ``https://www.googleapis.com/`` or to the local sandbox.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from leadscalendar.config import Settings
from leadscalendar.google import feed
from leadscalendar.google.call_metrics import method_of, observed_call
from leadscalendar.google.events import SendUpdates, booking_id_of
from leadscalendar.google.threadlocal import (
    STALE_CONNECTION_ERRORS,
    calendar_resources,
    kept_http,
)

# Google refuses batches of more than 1000 calls.
MAX_BATCH = 1000
_WRITE_ROLES = frozenset({"writer", "owner"})


@dataclass(frozen=True)
class CalendarInfo:
    """One calendar of the host's calendar list."""

    id: str
    summary: str
    primary: bool
    access_role: str  # freeBusyReader | reader | writer | owner
    time_zone: str | None

    @property
    def writable(self) -> bool:
        """Whether bookings can be written here: only these may be offered to the host."""
        return self.access_role in _WRITE_ROLES


@dataclass(frozen=True)
class CalendarEvent:
    """The parts of a Google event the booking flow acts on."""

    id: str
    status: str  # confirmed | tentative | cancelled
    html_link: str | None
    meet_link: str | None
    # pending | success | failure while Google creates the Meet; None without Meet.
    conference_status: str | None
    booking_id: uuid.UUID | None  # whose booking this event is, if ours at all
    etag: str | None
    start: datetime | None  # None for all-day events
    end: datetime | None
    # When Google last changed the event: tells a late, older copy from a newer one.
    updated: datetime | None = None


# The insert response is an event like any other.
CreatedEvent = CalendarEvent


@dataclass(frozen=True)
class BusyInterval:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class FreeBusy:
    """Busy times per calendar; a calendar Google could not read is in ``errors`` instead."""

    busy: Mapping[str, tuple[BusyInterval, ...]]
    # Per-calendar reasons, e.g. "notFound" or "internalError": the query as a
    # whole succeeded, so these are not exceptions.
    errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchItem:
    """One insert of a batch: the created event or the exception to classify."""

    event_id: str
    event: CalendarEvent | None
    error: HttpError | None


class CalendarClient(Protocol):
    """What the app needs from a calendar; Google's client and test doubles implement it."""

    def list_calendars(self) -> tuple[CalendarInfo, ...]: ...

    def get_calendar(self, calendar_id: str) -> CalendarInfo: ...

    def insert_event(
        self,
        calendar_id: str,
        body: Mapping[str, Any],
        *,
        send_updates: SendUpdates = "all",
        conference_data_version: int | None = None,
    ) -> CalendarEvent: ...

    def get_event(self, calendar_id: str, event_id: str) -> CalendarEvent: ...

    def patch_event(
        self,
        calendar_id: str,
        event_id: str,
        patch: Mapping[str, Any],
        *,
        send_updates: SendUpdates = "all",
        if_match: str | None = None,
        conference_data_version: int | None = None,
    ) -> CalendarEvent: ...

    def delete_event(
        self, calendar_id: str, event_id: str, *, send_updates: SendUpdates = "all"
    ) -> None: ...

    def free_busy(
        self, calendar_ids: Sequence[str], time_min: datetime, time_max: datetime
    ) -> FreeBusy: ...

    def list_events_page(self, calendar_id: str, query: feed.PageQuery) -> feed.EventsPage: ...

    def watch_events(
        self, calendar_id: str, *, channel_id: str, token: str, address: str, ttl_seconds: int
    ) -> feed.Channel: ...

    def stop_channel(self, *, channel_id: str, resource_id: str) -> None: ...


class GoogleCalendarClient(feed.EventFeedCalls):
    """CalendarClient over google-api-python-client, for one host's credentials."""

    def __init__(self, credentials: Credentials, *, api_base: str, timeout: float) -> None:
        self._credentials = credentials
        self._timeout = timeout
        base = api_base if api_base.endswith("/") else api_base + "/"
        # api_endpoint replaces rootUrl + servicePath entirely, so it must carry
        # the "calendar/v3/" path that the discovery document would have added.
        self._batch_uri = urllib.parse.urljoin(base, "batch/calendar/v3")
        self._endpoint = urllib.parse.urljoin(base, "calendar/v3/")
        self._resources = calendar_resources(self._endpoint, timeout)

    @classmethod
    def from_settings(cls, settings: Settings, credentials: Credentials) -> GoogleCalendarClient:
        """The client for Google or the sandbox, whichever the settings point at."""
        return cls(
            credentials,
            api_base=settings.google_api_base,
            timeout=settings.google_http_timeout_seconds,
        )

    @property
    def credentials(self) -> Credentials:
        return self._credentials

    def _execute(self, request: HttpRequest | BatchHttpRequest) -> Any:
        with observed_call(method_of(request)):
            return self._execute_once(request)

    def _execute_once(self, request: HttpRequest | BatchHttpRequest) -> Any:
        kept = kept_http(self._endpoint, self._timeout)
        if kept is None:
            http = httplib2.Http(timeout=self._timeout)
            try:
                return self._send(request, http)
            finally:
                http.close()
        try:
            return self._send(request, kept)
        except STALE_CONNECTION_ERRORS:
            # The server closed the idle connection (uvicorn after 5 s, Google's
            # front ends after minutes): once more on a new one. Should the first
            # insert have reached Google after all, the second gets 409 on our
            # event id, which the handler adopts.
            kept.close()
            return self._send(request, kept)

    def _send(self, request: HttpRequest | BatchHttpRequest, http: httplib2.Http) -> Any:
        authorized = AuthorizedHttp(self._credentials, http=http, max_refresh_attempts=1)
        if isinstance(request, BatchHttpRequest):
            return request.execute(http=authorized)
        return request.execute(http=authorized, num_retries=0)

    def list_calendars(self) -> tuple[CalendarInfo, ...]:
        """Every calendar in the host's list, following pages."""
        calendars: list[CalendarInfo] = []
        page_token: str | None = None
        while True:
            response = self._execute(
                self._resources.calendar_list.list(pageToken=page_token, maxResults=250)
            )
            calendars.extend(_calendar_info(item) for item in response.get("items", ()))
            page_token = response.get("nextPageToken")
            if not page_token:
                return tuple(calendars)

    def get_calendar(self, calendar_id: str) -> CalendarInfo:
        return _calendar_info(
            self._execute(self._resources.calendar_list.get(calendarId=calendar_id))
        )

    def insert_event(
        self,
        calendar_id: str,
        body: Mapping[str, Any],
        *,
        send_updates: SendUpdates = "all",
        conference_data_version: int | None = None,
    ) -> CalendarEvent:
        """events.insert; conferenceDataVersion defaults to 1 when the body asks for Meet.

        Without conferenceDataVersion=1 Google silently drops the createRequest.
        """
        request = self._resources.events.insert(
            calendarId=calendar_id,
            body=dict(body),
            sendUpdates=send_updates,
            conferenceDataVersion=_conference_version(body, conference_data_version),
        )
        return parse_event(self._execute(request))

    def get_event(self, calendar_id: str, event_id: str) -> CalendarEvent:
        """events.get: returns cancelled events too (status "cancelled"), by id."""
        return parse_event(
            self._execute(self._resources.events.get(calendarId=calendar_id, eventId=event_id))
        )

    def patch_event(
        self,
        calendar_id: str,
        event_id: str,
        patch: Mapping[str, Any],
        *,
        send_updates: SendUpdates = "all",
        if_match: str | None = None,
        conference_data_version: int | None = None,
    ) -> CalendarEvent:
        """events.patch; with ``if_match`` (an etag) Google answers 412 if the event changed."""
        request = self._resources.events.patch(
            calendarId=calendar_id,
            eventId=event_id,
            body=dict(patch),
            sendUpdates=send_updates,
            conferenceDataVersion=_conference_version(patch, conference_data_version),
        )
        if if_match is not None:
            request.headers["If-Match"] = if_match
        return parse_event(self._execute(request))

    def delete_event(
        self, calendar_id: str, event_id: str, *, send_updates: SendUpdates = "all"
    ) -> None:
        """events.delete; a 404/410 raised here means it was already gone (see classify)."""
        self._execute(
            self._resources.events.delete(
                calendarId=calendar_id, eventId=event_id, sendUpdates=send_updates
            )
        )

    def free_busy(
        self, calendar_ids: Sequence[str], time_min: datetime, time_max: datetime
    ) -> FreeBusy:
        """freebusy.query over [time_min, time_max), both aware."""
        for moment in (time_min, time_max):
            if moment.utcoffset() is None:
                raise ValueError("free_busy needs timezone-aware datetimes")
        request = self._resources.freebusy.query(
            body={
                "timeMin": time_min.isoformat(),
                "timeMax": time_max.isoformat(),
                "items": [{"id": calendar_id} for calendar_id in calendar_ids],
            }
        )
        return parse_free_busy(self._execute(request))

    def insert_events_batch(
        self,
        calendar_id: str,
        bodies: Sequence[Mapping[str, Any]],
        *,
        send_updates: SendUpdates = "all",
    ) -> tuple[BatchItem, ...]:
        """Insert up to 1000 events in one HTTP request; one result per body, in order.

        The batch URI is built from ``api_base`` because the service's own
        ``new_batch_http_request()`` always targets www.googleapis.com. Each body
        must carry its ``id`` (ours always do), used to match the answers.
        """
        if len(bodies) > MAX_BATCH:
            raise ValueError(f"a batch holds at most {MAX_BATCH} calls")
        if not bodies:
            return ()
        answers: dict[str, tuple[Any, HttpError | None]] = {}

        def collect(request_id: str, response: Any, exception: Exception | None) -> None:
            if exception is not None and not isinstance(exception, HttpError):
                raise exception
            answers[request_id] = (response, exception)

        batch = BatchHttpRequest(callback=collect, batch_uri=self._batch_uri)
        for body in bodies:
            batch.add(
                self._resources.events.insert(
                    calendarId=calendar_id,
                    body=dict(body),
                    sendUpdates=send_updates,
                    conferenceDataVersion=_conference_version(body, None),
                ),
                request_id=str(body["id"]),
            )
        self._execute(batch)
        items = []
        for body in bodies:
            response, error = answers[str(body["id"])]
            event = parse_event(response) if error is None else None
            items.append(BatchItem(str(body["id"]), event, error))
        return tuple(items)


def _conference_version(body: Mapping[str, Any], explicit: int | None) -> int:
    if explicit is not None:
        return explicit
    return 1 if "conferenceData" in body else 0


def _calendar_info(item: Mapping[str, Any]) -> CalendarInfo:
    return CalendarInfo(
        id=str(item["id"]),
        summary=str(item.get("summaryOverride") or item.get("summary") or item["id"]),
        primary=bool(item.get("primary", False)),
        access_role=str(item.get("accessRole", "")),
        time_zone=item.get("timeZone"),
    )


def parse_event(event: Mapping[str, Any]) -> CalendarEvent:
    """A Google event resource as our dataclass (public for the sandbox's tests)."""
    conference = event.get("conferenceData") or {}
    meet_link = event.get("hangoutLink")
    for entry in conference.get("entryPoints") or ():
        if entry.get("entryPointType") == "video" and entry.get("uri"):
            meet_link = entry["uri"]
            break
    status = ((conference.get("createRequest") or {}).get("status") or {}).get("statusCode")
    if status is None and conference.get("entryPoints"):
        status = "success"
    return CalendarEvent(
        id=str(event["id"]),
        status=str(event.get("status", "confirmed")),
        html_link=event.get("htmlLink"),
        meet_link=meet_link,
        conference_status=status,
        booking_id=booking_id_of(event),
        etag=event.get("etag"),
        start=_event_time(event.get("start")),
        end=_event_time(event.get("end")),
        updated=_updated(event.get("updated")),
    )


def _updated(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _event_time(value: Mapping[str, Any] | None) -> datetime | None:
    if not value or "dateTime" not in value:
        return None
    return datetime.fromisoformat(value["dateTime"])


def parse_free_busy(response: Mapping[str, Any]) -> FreeBusy:
    busy: dict[str, tuple[BusyInterval, ...]] = {}
    errors: dict[str, tuple[str, ...]] = {}
    for calendar_id, entry in (response.get("calendars") or {}).items():
        if entry.get("errors"):
            errors[calendar_id] = tuple(str(e.get("reason", "unknown")) for e in entry["errors"])
            continue
        busy[calendar_id] = tuple(
            BusyInterval(datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
            for b in entry.get("busy") or ()
        )
    return FreeBusy(busy=busy, errors=errors)
