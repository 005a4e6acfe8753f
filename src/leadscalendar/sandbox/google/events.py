"""The events collection: insert, get, list, patch, delete, with Google's semantics."""

from __future__ import annotations

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
    format_in_zone,
    format_utc,
    now,
    parse_datetime,
)
from leadscalendar.sandbox.google.validation import (
    check_schema,
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
    action: str | None = None,
) -> dict[str, Any]:
    """``action`` names the call in the sandbox's notes (e.g. ``host.insert``)."""
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
        calendar.touch(event_id)
        _note(calendar, event_id, action or "insert", send)
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
    action: str | None = None,
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
        calendar.touch(event_id)
        _note(calendar, event_id, action or "patch", send)
        return copy.deepcopy(merged)

    return store.transact(write)


def delete(
    store: CalendarStore,
    account: str,
    calendar_id: str,
    event_id: str,
    params: Mapping[str, str],
    action: str | None = None,
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
        calendar.touch(event_id)
        _note(calendar, event_id, action or "delete", send)

    store.transact(write)
