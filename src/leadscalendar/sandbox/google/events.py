"""The events collection: insert, get, list, patch, delete, with Google's semantics."""

from __future__ import annotations

import base64
import copy
import secrets
import string
from collections.abc import Mapping
from typing import Any

from leadscalendar.sandbox.google.errors import (
    api_error,
    bad_request,
    deleted,
    duplicate,
    not_found,
)
from leadscalendar.sandbox.google.store import (
    CalendarRecord,
    CalendarStore,
    html_link,
    new_event_id,
)
from leadscalendar.sandbox.google.timeutil import (
    TimeFormatError,
    format_in_zone,
    format_utc,
    has_offset,
    now,
    parse_datetime,
)
from leadscalendar.sandbox.google.validation import (
    check_schema,
    event_window,
    validate_event,
)

SEND_UPDATES = ("all", "externalOnly", "none")
# Fields Google computes; a client may send them back (from a get) and they are ignored.
SERVER_FIELDS = (
    "kind",
    "etag",
    "htmlLink",
    "created",
    "updated",
    "creator",
    "organizer",
    "iCalUID",
)
DEFAULT_PAGE_SIZE = 250
MAX_PAGE_SIZE = 2500


def _send_updates(params: Mapping[str, str]) -> str | None:
    value = params.get("sendUpdates")
    if value is not None and value not in SEND_UPDATES:
        raise api_error(
            400,
            "invalidParameter",
            f"Invalid value '{value}'. Values must match the following regular expression: "
            "'(?i)(all|externalOnly|none)'",
            location="sendUpdates",
        )
    return value


def _conference_version(params: Mapping[str, str]) -> int:
    raw = params.get("conferenceDataVersion", "0")
    if raw not in ("0", "1"):
        raise bad_request("Invalid conference data version.", location="conferenceDataVersion")
    return int(raw)


def _meet_code() -> str:
    letters = string.ascii_lowercase
    return "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))


def _apply_conference(event: dict[str, Any], version: int) -> None:
    """conferenceDataVersion=1 + createRequest -> a Meet link, as Google creates one."""
    conference = event.get("conferenceData")
    if version == 0:
        event.pop("conferenceData", None)
        return
    if not isinstance(conference, dict) or "createRequest" not in conference:
        return
    if conference.get("entryPoints"):
        return
    request = conference["createRequest"]
    if not request.get("requestId"):
        raise bad_request("Invalid conference create request.")
    solution = (request.get("conferenceSolutionKey") or {}).get("type", "hangoutsMeet")
    if solution != "hangoutsMeet":
        raise bad_request("Invalid conference type value.")
    code = _meet_code()
    uri = f"https://meet.google.com/{code}"
    event["conferenceData"] = {
        "createRequest": {
            "requestId": request["requestId"],
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        },
        "entryPoints": [
            {"entryPointType": "video", "uri": uri, "label": f"meet.google.com/{code}"}
        ],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet"},
            "name": "Google Meet",
            "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png",
        },
        "conferenceId": code,
    }
    event["hangoutLink"] = uri


def _normalise_times(event: dict[str, Any], calendar: CalendarRecord) -> None:
    """Google echoes dateTime in the given (or the calendar's) zone, with an offset."""
    for key in ("start", "end"):
        when = event[key]
        if when.get("dateTime"):
            zone_name = when.get("timeZone") or calendar.time_zone
            moment = parse_datetime(when["dateTime"], zone_name)
            when["dateTime"] = format_in_zone(moment, zone_name)


def _finish(event: dict[str, Any], calendar: CalendarRecord, account: str) -> None:
    for attendee in event.get("attendees") or []:
        attendee.setdefault("responseStatus", "needsAction")
        if attendee["email"].lower() == account:
            attendee["self"] = True
    _normalise_times(event, calendar)
    event["etag"] = calendar.next_etag()
    event["updated"] = format_utc(now(), millis=True)


def _note(calendar: CalendarRecord, event_id: str, action: str, send: str | None) -> None:
    calendar.notes.setdefault(event_id, []).append(
        {"action": action, "sendUpdates": send, "at": format_utc(now(), millis=True)}
    )


def insert(
    store: CalendarStore,
    account: str,
    calendar_id: str,
    params: Mapping[str, str],
    body: Any,
) -> dict[str, Any]:
    calendar = store.writable(account, calendar_id)
    send = _send_updates(params)
    version = _conference_version(params)
    check_schema(body)
    event: dict[str, Any] = {k: v for k, v in body.items() if k not in SERVER_FIELDS}
    validate_event(event)
    _apply_conference(event, version)

    def write() -> dict[str, Any]:
        event_id = event.get("id") or new_event_id()
        if event_id in calendar.events:
            raise duplicate()
        stamp = format_utc(now(), millis=True)
        stored: dict[str, Any] = {
            "kind": "calendar#event",
            "id": event_id,
            "status": event.get("status", "confirmed"),
            "htmlLink": html_link(event_id, calendar.id),
            "created": stamp,
            "creator": {"email": account, "self": True},
            "organizer": {"email": calendar.id, "self": True}
            | ({} if calendar.primary else {"displayName": calendar.summary}),
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        stored.update(copy.deepcopy(event))
        stored["id"] = event_id
        _finish(stored, calendar, account)
        calendar.events[event_id] = stored
        _note(calendar, event_id, "insert", send)
        return copy.deepcopy(stored)

    return store.transact(write)


def _existing(calendar: CalendarRecord, event_id: str) -> dict[str, Any]:
    event = calendar.events.get(event_id)
    if event is None:
        raise not_found()
    return event


def get(store: CalendarStore, account: str, calendar_id: str, event_id: str) -> dict[str, Any]:
    """Cancelled events are still returned by get, with ``status: cancelled``."""
    calendar = store.resolve(account, calendar_id)
    return store.transact(lambda: copy.deepcopy(_existing(calendar, event_id)))


def _merge(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """Patch semantics: objects merge field by field, arrays and scalars replace, null clears."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def patch(
    store: CalendarStore,
    account: str,
    calendar_id: str,
    event_id: str,
    params: Mapping[str, str],
    body: Any,
) -> dict[str, Any]:
    calendar = store.writable(account, calendar_id)
    send = _send_updates(params)
    version = _conference_version(params)
    check_schema(body)

    def write() -> dict[str, Any]:
        current = _existing(calendar, event_id)
        if body.get("id") not in (None, event_id):
            raise bad_request("Invalid resource id value.")
        merged = copy.deepcopy(current)
        _merge(merged, {k: v for k, v in body.items() if k not in SERVER_FIELDS})
        candidate = {k: v for k, v in merged.items() if k not in SERVER_FIELDS}
        validate_event(candidate)
        _apply_conference(merged, version if "conferenceData" in body else 1)
        if body.get("start") or body.get("end"):
            merged["sequence"] = int(merged.get("sequence", 0)) + 1
        _finish(merged, calendar, account)
        calendar.events[event_id] = merged
        _note(calendar, event_id, "patch", send)
        return copy.deepcopy(merged)

    return store.transact(write)


def delete(
    store: CalendarStore,
    account: str,
    calendar_id: str,
    event_id: str,
    params: Mapping[str, str],
) -> None:
    calendar = store.writable(account, calendar_id)
    send = _send_updates(params)

    def write() -> None:
        current = _existing(calendar, event_id)
        if current.get("status") == "cancelled":
            raise deleted()
        current["status"] = "cancelled"
        current["etag"] = calendar.next_etag()
        current["updated"] = format_utc(now(), millis=True)
        _note(calendar, event_id, "delete", send)

    store.transact(write)


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "o" and value.isdigit():
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise bad_request("Invalid page token value.", location="pageToken")


def _bound(params: Mapping[str, str], name: str) -> Any:
    value = params.get(name)
    if value is None:
        return None
    if not has_offset(value):
        raise bad_request("Bad Request", location=name)
    try:
        return parse_datetime(value)
    except TimeFormatError:
        raise bad_request("Bad Request", location=name) from None


def _properties_match(event: dict[str, Any], kind: str, filters: list[str]) -> bool:
    values = (event.get("extendedProperties") or {}).get(kind) or {}
    for condition in filters:
        key, _, value = condition.partition("=")
        if values.get(key) != value:
            return False
    return True


def list_events(
    store: CalendarStore,
    account: str,
    calendar_id: str,
    params: Mapping[str, str],
    multi: Mapping[str, list[str]],
) -> dict[str, Any]:
    calendar = store.resolve(account, calendar_id)
    time_min, time_max = _bound(params, "timeMin"), _bound(params, "timeMax")
    if time_min is not None and time_max is not None and time_max <= time_min:
        raise api_error(
            400,
            "timeRangeEmpty",
            "The specified time range is empty.",
            domain="calendar",
            location="timeMax",
        )
    if params.get("orderBy") == "startTime" and params.get("singleEvents") != "true":
        raise bad_request("The requested ordering is not available for the particular query.")
    if params.get("syncToken"):
        raise api_error(
            410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
        )
    try:
        size = min(int(params.get("maxResults", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
    except ValueError:
        raise bad_request("Invalid value for: maxResults", location="maxResults") from None
    if size < 1:
        raise bad_request("Invalid value for: maxResults", location="maxResults")
    show_deleted = params.get("showDeleted") == "true"
    query = (params.get("q") or "").lower()
    offset = _offset(params.get("pageToken"))

    def read() -> list[dict[str, Any]]:
        chosen = []
        for event in calendar.events.values():
            if event.get("status") == "cancelled" and not show_deleted:
                continue
            start, end = event_window(event, calendar.time_zone)
            if time_min is not None and end <= time_min:
                continue
            if time_max is not None and start >= time_max:
                continue
            if not _properties_match(event, "private", multi.get("privateExtendedProperty", [])):
                continue
            if not _properties_match(event, "shared", multi.get("sharedExtendedProperty", [])):
                continue
            text = " ".join(str(event.get(k, "")) for k in ("summary", "description", "location"))
            if query and query not in text.lower():
                continue
            chosen.append((start, event["id"], copy.deepcopy(event)))
        order_by_updated = params.get("orderBy") == "updated"
        chosen.sort(
            key=lambda item: (item[2]["updated"], item[1]) if order_by_updated else item[:2]
        )
        return [item[2] for item in chosen]

    matching = store.transact(read)
    page = matching[offset : offset + size]
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"p{len(matching)}{offset}"',
        "summary": calendar.summary,
        "description": "",
        "updated": max((e["updated"] for e in matching), default=format_utc(now(), millis=True)),
        "timeZone": calendar.time_zone,
        "accessRole": calendar.access_role,
        "defaultReminders": calendar.list_entry()["defaultReminders"],
    }
    if offset + size < len(matching):
        body["nextPageToken"] = _page_token(offset + size)
    body["items"] = page
    return body
