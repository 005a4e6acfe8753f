"""events.list: full listings, pages and incremental sync, with Google's rules.

A full listing pages through events in start order; its last page carries a
``nextSyncToken``. A listing with ``syncToken`` returns every event changed
since that token was issued (deleted ones as ``status: cancelled``), in change
order, and its last page carries the next token. Pages are keyset-based (the
token holds the last key returned and the change number the listing started
at), so events changing between pages are neither skipped nor lost: anything
changed after the first page comes back in the next incremental sync.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadscalendar.sandbox.google import recurrence
from leadscalendar.sandbox.google.errors import api_error, bad_request
from leadscalendar.sandbox.google.store import CalendarRecord, CalendarStore
from leadscalendar.sandbox.google.synctokens import (
    PageState,
    SyncPosition,
    decode_page,
    decode_sync,
    encode_page,
    encode_sync,
)
from leadscalendar.sandbox.google.timeutil import (
    TimeFormatError,
    format_utc,
    has_offset,
    now,
    parse_datetime,
)
from leadscalendar.sandbox.google.validation import event_window

DEFAULT_PAGE_SIZE = 250
MAX_PAGE_SIZE = 2500
# Google: "There are several query parameters that cannot be specified together
# with nextSyncToken to ensure consistency of the client state."
NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
Keyed = tuple[tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True)
class Query:
    """The parsed parameters of one events.list call."""

    params: Mapping[str, str]
    multi: Mapping[str, list[str]]
    time_min: datetime | None
    time_max: datetime | None
    updated_min: datetime | None
    size: int

    def flag(self, name: str) -> bool:
        return self.params.get(name) == "true"

    @property
    def narrowed(self) -> bool:
        """Filters that make a listing unfit to start incremental sync from."""
        return any(
            self.params.get(name) or self.multi.get(name)
            for name in NOT_WITH_SYNC_TOKEN
            if name not in ("timeMin", "timeMax")
        )


def _bound(params: Mapping[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    if not has_offset(value):
        raise bad_request("Bad Request", location=name)
    try:
        return parse_datetime(value)
    except TimeFormatError:
        raise bad_request("Bad Request", location=name) from None


def _page_size(params: Mapping[str, str]) -> int:
    try:
        size = int(params.get("maxResults", DEFAULT_PAGE_SIZE))
    except ValueError:
        raise bad_request("Invalid value for: maxResults", location="maxResults") from None
    if size < 1:
        raise bad_request("Invalid value for: maxResults", location="maxResults")
    return min(size, MAX_PAGE_SIZE)


def parse_query(params: Mapping[str, str], multi: Mapping[str, list[str]]) -> Query:
    if params.get("syncToken"):
        for name in NOT_WITH_SYNC_TOKEN:
            if params.get(name) or multi.get(name):
                raise bad_request(
                    f"The parameter {name} cannot be used together with syncToken.",
                    location=name,
                )
    query = Query(
        params=params,
        multi=multi,
        time_min=_bound(params, "timeMin"),
        time_max=_bound(params, "timeMax"),
        updated_min=_bound(params, "updatedMin"),
        size=_page_size(params),
    )
    if query.time_min and query.time_max and query.time_max <= query.time_min:
        raise api_error(
            400,
            "timeRangeEmpty",
            "The specified time range is empty.",
            domain="calendar",
            location="timeMax",
        )
    if params.get("orderBy") == "startTime" and not query.flag("singleEvents"):
        raise bad_request("The requested ordering is not available for the particular query.")
    return query


def _properties_match(event: dict[str, Any], kind: str, filters: list[str]) -> bool:
    values = (event.get("extendedProperties") or {}).get(kind) or {}
    for condition in filters:
        key, _, value = condition.partition("=")
        if values.get(key) != value:
            return False
    return True


def _matches_filters(event: dict[str, Any], query: Query) -> bool:
    if not _properties_match(event, "private", query.multi.get("privateExtendedProperty", [])):
        return False
    if not _properties_match(event, "shared", query.multi.get("sharedExtendedProperty", [])):
        return False
    uid = query.params.get("iCalUID")
    if uid and event.get("iCalUID") != uid:
        return False
    if query.updated_min and parse_datetime(event["updated"]) < query.updated_min:
        return False
    text = " ".join(str(event.get(k, "")) for k in ("summary", "description", "location"))
    wanted = (query.params.get("q") or "").lower()
    return not wanted or wanted in text.lower()


def _in_window(event: dict[str, Any], query: Query, time_zone: str) -> bool:
    start, end = event_window(event, time_zone)
    if query.time_min is not None and end <= query.time_min:
        return False
    return query.time_max is None or start < query.time_max


def _full_listing(calendar: CalendarRecord, query: Query) -> list[Keyed]:
    show_deleted = query.flag("showDeleted")
    by_updated = query.params.get("orderBy") == "updated"
    keyed: list[Keyed] = []
    single = query.flag("singleEvents")
    for event in recurrence.presented(calendar, single, query.time_max):
        hidden = event.get("status") == "cancelled" and not show_deleted
        if hidden and not recurrence.is_visible_cancelled_exception(event, single):
            continue
        if not _in_window(event, query, calendar.time_zone):
            continue
        if not _matches_filters(event, query):
            continue
        start, _ = event_window(event, calendar.time_zone)
        first = event["updated"] if by_updated else format_utc(start, millis=True)
        keyed.append(((first, event["id"]), event))
    return keyed


def _changed_listing(
    calendar: CalendarRecord, query: Query, position: SyncPosition, upto: int
) -> list[Keyed]:
    keyed: list[Keyed] = []
    for event_id, number in calendar.changed_at.items():
        if not position.number < number <= upto:
            continue
        event = calendar.events[event_id]
        for shown in recurrence.changed(calendar, event, query.flag("singleEvents")):
            keyed.append(((f"{number:012d}", shown["id"]), shown))
    return keyed


def list_events(
    store: CalendarStore,
    account: str,
    calendar_id: str,
    params: Mapping[str, str],
    multi: Mapping[str, list[str]],
) -> dict[str, Any]:
    calendar = store.resolve(account, calendar_id)
    query = parse_query(params, multi)
    sync_token = params.get("syncToken")

    def read() -> tuple[list[dict[str, Any]], str | None, str | None]:
        position = None
        if sync_token:
            position = decode_sync(sync_token, store.nonce, calendar)
        page = decode_page(params.get("pageToken"), calendar.change_counter)
        if position is not None:
            keyed = _changed_listing(calendar, query, position, page.upto)
        else:
            keyed = _full_listing(calendar, query)
        keyed.sort(key=lambda item: item[0])
        remaining = [item for item in keyed if page.after is None or item[0] > page.after]
        chosen = remaining[: query.size]
        next_page = None
        next_sync = None
        if len(remaining) > query.size:
            next_page = encode_page(PageState(after=chosen[-1][0], upto=page.upto))
        elif not query.narrowed:
            next_sync = encode_sync(store.nonce, calendar, page.upto)
        return [copy.deepcopy(item[1]) for item in chosen], next_page, next_sync

    items, next_page, next_sync = store.transact(read)
    return _envelope(calendar, items, next_page, next_sync)


def _envelope(
    calendar: CalendarRecord,
    items: list[dict[str, Any]],
    next_page: str | None,
    next_sync: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"p{calendar.change_counter}{len(items)}"',
        "summary": calendar.summary,
        "description": "",
        "updated": max((e["updated"] for e in items), default=format_utc(now(), millis=True)),
        "timeZone": calendar.time_zone,
        "accessRole": calendar.access_role,
        "defaultReminders": calendar.list_entry()["defaultReminders"],
    }
    if next_page is not None:
        body["nextPageToken"] = next_page
    if next_sync is not None:
        body["nextSyncToken"] = next_sync
    body["items"] = items
    return body
