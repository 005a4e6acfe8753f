"""Event validation: the 400s Google gives, so the application meets them before production.

Field names and types come from the discovery document's Event schema. The
sandbox is stricter than Google in one place on purpose: an unknown field is a
400 here, because real Google silently drops it and a misspelt ``attendes``
would otherwise lose the lead's invitation without anyone noticing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from leadscalendar.sandbox.google import discovery
from leadscalendar.sandbox.google.errors import ApiError, api_error, bad_request, required
from leadscalendar.sandbox.google.timeutil import (
    TimeFormatError,
    date_start,
    has_offset,
    parse_date,
    parse_datetime,
    zone,
)

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
MAX_REMINDER_OVERRIDES = 5
MAX_REMINDER_MINUTES = 40320
ENUMS = {
    "status": ("confirmed", "tentative", "cancelled"),
    "transparency": ("opaque", "transparent"),
    "visibility": ("default", "public", "private", "confidential"),
}
_TYPES = {"string": "TYPE_STRING", "integer": "TYPE_INT32", "boolean": "TYPE_BOOL"}


def invalid_id() -> ApiError:
    return bad_request("Invalid resource id value.")


def check_event_id(event_id: str) -> None:
    if not EVENT_ID.match(event_id):
        raise invalid_id()


def check_schema(value: Any, schema_name: str = "Event", path: str = "resource") -> None:
    """Unknown fields and wrong JSON types, by the discovery document."""
    if not isinstance(value, dict):
        raise _payload_error(f"Invalid value at '{path}', expected an object.")
    properties: dict[str, Any] = discovery.schema(schema_name).get("properties", {})
    for key, item in value.items():
        if key not in properties:
            raise _payload_error(
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': "
                "Cannot find field."
            )
        _check_value(item, properties[key], f"{path}.{key}")


def _check_value(value: Any, spec: dict[str, Any], path: str) -> None:
    if value is None:
        return
    if "$ref" in spec:
        check_schema(value, spec["$ref"], path)
        return
    kind = spec.get("type", "any")
    if kind == "object":
        if not isinstance(value, dict):
            raise _type_error(path, "TYPE_MESSAGE", value)
        if "properties" in spec:
            for key, item in value.items():
                if key not in spec["properties"]:
                    raise _payload_error(
                        f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': "
                        "Cannot find field."
                    )
                _check_value(item, spec["properties"][key], f"{path}.{key}")
        elif "additionalProperties" in spec:
            for key, item in value.items():
                _check_value(item, spec["additionalProperties"], f"{path}.{key}")
    elif kind == "array":
        if not isinstance(value, list):
            raise _type_error(path, "TYPE_LIST", value)
        for index, item in enumerate(value):
            _check_value(item, spec.get("items", {}), f"{path}[{index}]")
    elif kind in _TYPES and not _scalar_ok(kind, value):
        raise _type_error(path, _TYPES[kind], value)


def _scalar_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    # Google's JSON accepts integers as numbers or as strings of digits.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (
        isinstance(value, str) and bool(re.fullmatch(r"-?\d+", value))
    )


def _payload_error(message: str) -> ApiError:
    return api_error(400, "badRequest", message, with_status=True)


def _type_error(path: str, type_name: str, value: Any) -> ApiError:
    return _payload_error(f"Invalid value at '{path}' ({type_name}), {value!r}")


def event_window(event: dict[str, Any], calendar_zone: str) -> tuple[datetime, datetime]:
    """The instants an already-valid event starts and ends."""
    return (
        _instant(event["start"], calendar_zone),
        _instant(event["end"], calendar_zone),
    )


def _instant(when: dict[str, Any], calendar_zone: str) -> datetime:
    if when.get("dateTime"):
        return parse_datetime(when["dateTime"], when.get("timeZone") or calendar_zone)
    return date_start(parse_date(when["date"]), when.get("timeZone") or calendar_zone)


def validate_event(event: dict[str, Any]) -> None:
    """Raise the 400 Google would give for this (complete, merged) event body."""
    check_schema(event)
    if "id" in event and event["id"] is not None:
        check_event_id(event["id"])
    for field, allowed in ENUMS.items():
        if event.get(field) is not None and event[field] not in allowed:
            raise bad_request(f"Invalid value for: {field}")
    start = _check_time(event.get("start"), "start")
    end = _check_time(event.get("end"), "end")
    if (start[1] is None) != (end[1] is None):
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    if end[0] <= start[0]:
        raise api_error(
            400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar"
        )
    _check_attendees(event.get("attendees"))
    _check_reminders(event.get("reminders"))


def _check_time(when: Any, name: str) -> tuple[datetime, str | None]:
    """Returns the instant and the dateTime string (None for an all-day date)."""
    if not isinstance(when, dict) or not (when.get("dateTime") or when.get("date")):
        raise required(f"Missing {name} time.")
    time_zone = when.get("timeZone")
    if time_zone is not None and zone(time_zone) is None:
        raise bad_request(f"Invalid time zone definition for {name} time.")
    if when.get("dateTime") and when.get("date"):
        raise bad_request(f"Invalid {name} time.")
    if when.get("date"):
        try:
            return date_start(parse_date(when["date"]), time_zone or "UTC"), None
        except TimeFormatError:
            raise bad_request(f"Invalid {name} time.") from None
    value = when["dateTime"]
    if time_zone is None and not has_offset(value):
        try:
            parse_datetime(value, "UTC")
        except TimeFormatError:
            raise bad_request(f"Invalid {name} time.") from None
        raise bad_request(f"Missing time zone definition for {name} time.")
    try:
        return parse_datetime(value, time_zone), value
    except TimeFormatError:
        raise bad_request(f"Invalid {name} time.") from None


def _check_attendees(attendees: Any) -> None:
    for attendee in attendees or []:
        email = attendee.get("email")
        if not email:
            raise required("Missing attendee email.")
        try:
            validate_email(email, check_deliverability=False, test_environment=True)
        except EmailNotValidError:
            raise bad_request("Invalid attendee email.") from None


def _check_reminders(reminders: Any) -> None:
    if not reminders:
        return
    overrides = reminders.get("overrides") or []
    if reminders.get("useDefault") and overrides:
        raise bad_request("Cannot specify both default reminders and overrides at the same time.")
    if len(overrides) > MAX_REMINDER_OVERRIDES:
        raise bad_request("Too many reminders: at most 5 overrides are allowed.")
    for override in overrides:
        method = override.get("method")
        if not method:
            raise required("Missing reminder method.")
        if method not in ("email", "popup"):
            raise bad_request("Invalid reminder method.")
        minutes = override.get("minutes")
        if minutes is None:
            raise required("Missing reminder minutes.")
        if not 0 <= int(minutes) <= MAX_REMINDER_MINUTES:
            raise bad_request("Invalid reminder minutes: must be between 0 and 40320.")
