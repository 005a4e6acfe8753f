"""The event feed of a calendar: events.list pages, events.watch, channels.stop.

The requests, their answers' shapes, and ``EventFeedCalls``, the mixin that
gives ``GoogleCalendarClient`` these three calls (kept here so calendar.py
stays one screenful per concern). Errors propagate unwrapped, as everywhere in the
client; ``errors.classify`` turns a 410 from ``events.list``
(``fullSyncRequired``: the sync or page token expired) into ``Action.RESYNC``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Google's largest page for events.list.
MAX_PAGE = 2500


@dataclass(frozen=True)
class EventsPage:
    """One page of events.list: the raw events, and where to go next."""

    events: tuple[Mapping[str, Any], ...]
    next_page_token: str | None
    # Only on the last page: the token of the next incremental sync.
    next_sync_token: str | None
    # The calendar's zone, which all-day events are read in.
    time_zone: str | None


@dataclass(frozen=True)
class Channel:
    """What events.watch answered: Google's resource id and the channel's expiry."""

    channel_id: str
    resource_id: str
    expiration: datetime | None


@dataclass(frozen=True)
class PageQuery:
    """The parameters of one events.list call of a sync.

    With ``sync_token`` Google refuses timeMin/timeMax (the token remembers the
    window of the full sync it came from), so they are only sent without it.
    """

    sync_token: str | None = None
    page_token: str | None = None
    time_min: datetime | None = None
    time_max: datetime | None = None
    max_results: int = MAX_PAGE


def list_request(resources: Any, calendar_id: str, query: PageQuery) -> Any:
    """The events.list request of one sync page."""
    params: dict[str, Any] = {
        "calendarId": calendar_id,
        "singleEvents": True,
        "showDeleted": True,
        "maxResults": query.max_results,
    }
    if query.page_token:
        params["pageToken"] = query.page_token
    if query.sync_token:
        params["syncToken"] = query.sync_token
    else:
        if query.time_min is not None:
            params["timeMin"] = query.time_min.astimezone(UTC).isoformat()
        if query.time_max is not None:
            params["timeMax"] = query.time_max.astimezone(UTC).isoformat()
    return resources.events.list(**params)


def parse_page(response: Mapping[str, Any]) -> EventsPage:
    return EventsPage(
        events=tuple(response.get("items") or ()),
        next_page_token=response.get("nextPageToken"),
        next_sync_token=response.get("nextSyncToken"),
        time_zone=response.get("timeZone"),
    )


def watch_request(
    resources: Any,
    calendar_id: str,
    *,
    channel_id: str,
    token: str,
    address: str,
    ttl_seconds: int,
) -> Any:
    """events.watch: a web_hook channel with our id and secret token."""
    body = {
        "id": channel_id,
        "type": "web_hook",
        "address": address,
        "token": token,
        "params": {"ttl": str(ttl_seconds)},
    }
    return resources.events.watch(calendarId=calendar_id, body=body)


def parse_channel(response: Mapping[str, Any]) -> Channel:
    expiration = response.get("expiration")
    return Channel(
        channel_id=str(response["id"]),
        resource_id=str(response.get("resourceId") or ""),
        # Google answers milliseconds since the epoch, as a string.
        expiration=(datetime.fromtimestamp(int(expiration) / 1000, tz=UTC) if expiration else None),
    )


def stop_request(resources: Any, *, channel_id: str, resource_id: str) -> Any:
    return resources.channels.stop(body={"id": channel_id, "resourceId": resource_id})


class EventFeedCalls:
    """The sync calls of ``GoogleCalendarClient``, kept here beside their shapes."""

    _resources: Any

    def _execute(self, request: Any) -> Any:
        raise NotImplementedError

    def list_events_page(self, calendar_id: str, query: PageQuery) -> EventsPage:
        """One page of events.list for a sync (singleEvents, showDeleted); 410: resync."""
        return parse_page(self._execute(list_request(self._resources, calendar_id, query)))

    def watch_events(
        self, calendar_id: str, *, channel_id: str, token: str, address: str, ttl_seconds: int
    ) -> Channel:
        """events.watch: Google will POST "something changed" to ``address``."""
        request = watch_request(
            self._resources,
            calendar_id,
            channel_id=channel_id,
            token=token,
            address=address,
            ttl_seconds=ttl_seconds,
        )
        return parse_channel(self._execute(request))

    def stop_channel(self, *, channel_id: str, resource_id: str) -> None:
        """channels.stop; a 404 raised here means Google forgot the channel already."""
        self._execute(stop_request(self._resources, channel_id=channel_id, resource_id=resource_id))
