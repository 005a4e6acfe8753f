"""Control calls that act "as the host" in Google Calendar's own UI.

The host moves, renames or deletes a booked event, a lead declines the
invitation, or the host adds busy time of their own. Each goes through the same
event semantics as the API (etag, ``updated``, ``sequence`` on time changes)
and so reaches incremental sync and every live channel on the calendar; none
of it is counted as an API call in the stats.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadscalendar.sandbox.google import events, recurrence
from leadscalendar.sandbox.google.errors import ApiError
from leadscalendar.sandbox.google.state import get_state
from leadscalendar.sandbox.google.store import CalendarRecord
from leadscalendar.sandbox.google.timeutil import (
    TimeFormatError,
    date_start,
    parse_date,
    parse_datetime,
)

router = APIRouter(prefix="/_sandbox/calendars/{calendar_id}/events")
RESPONSE_STATUSES = ("needsAction", "declined", "tentative", "accepted")
When = str | dict[str, str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoveIn(Strict):
    start: When
    end: When


class SummaryIn(Strict):
    summary: str


class CancelInstanceIn(Strict):
    originalStart: str  # noqa: N815 - as Google's originalStartTime; a date when all-day


class ResponseIn(Strict):
    email: str
    responseStatus: str  # noqa: N815 - Google's field name


def _problem(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def _when(value: When) -> dict[str, str]:
    """An RFC 3339 string is a dateTime; an object is taken as Google's EventDateTime."""
    return {"dateTime": value} if isinstance(value, str) else dict(value)


def _owner(request: Request, calendar_id: str) -> CalendarRecord | None:
    """The calendar; a primary one (id = e-mail) exists as soon as its account is named."""
    store = get_state(request).calendars
    record = store.find(calendar_id)
    if record is None and "@" in calendar_id and not calendar_id.endswith(".google.com"):
        store.ensure_account(calendar_id)
        record = store.find(calendar_id.lower())
    return None if record is None or record.deleted else record


def _as_host(request: Request, calendar_id: str, event_id: str, patch: dict[str, Any]) -> Response:
    record = _owner(request, calendar_id)
    if record is None:
        return _problem(f"no calendar {calendar_id}", 404)
    store = get_state(request).calendars
    try:
        changed = events.patch(
            store, record.owner_email, calendar_id, event_id, {}, patch, action="host.patch"
        )
    except ApiError as error:
        return JSONResponse(error.body, status_code=error.status)
    return JSONResponse({"event": changed})


@router.post("", include_in_schema=False)
async def create(request: Request, calendar_id: str) -> Response:
    """The host adds an event of their own (busy or free, timed or all-day, recurring)."""
    record = _owner(request, calendar_id)
    if record is None:
        return _problem(f"no calendar {calendar_id}", 404)
    try:
        body = await request.json()
    except ValueError:
        return _problem("the body must be a JSON Event resource")
    store = get_state(request).calendars
    try:
        created = events.insert(store, record.owner_email, calendar_id, {}, body, "host.insert")
    except ApiError as error:
        return JSONResponse(error.body, status_code=error.status)
    return JSONResponse({"event": created})


@router.post("/{event_id}/move", include_in_schema=False)
async def move(request: Request, calendar_id: str, event_id: str, body: MoveIn) -> Response:
    """The host drags the event to a new time: ``sequence`` goes up, as Google does."""
    patch = {"start": _when(body.start), "end": _when(body.end)}
    return _as_host(request, calendar_id, event_id, patch)


@router.post("/{event_id}/summary", include_in_schema=False)
async def rename(request: Request, calendar_id: str, event_id: str, body: SummaryIn) -> Response:
    return _as_host(request, calendar_id, event_id, {"summary": body.summary})


@router.post("/{event_id}/response", include_in_schema=False)
async def respond(request: Request, calendar_id: str, event_id: str, body: ResponseIn) -> Response:
    """An attendee (e.g. the lead) answers the invitation: declined, tentative, accepted."""
    if body.responseStatus not in RESPONSE_STATUSES:
        return _problem(f"responseStatus must be one of {', '.join(RESPONSE_STATUSES)}")
    record = _owner(request, calendar_id)
    current = record.events.get(event_id) if record is not None else None
    if record is None or current is None:
        return _problem(f"no event {event_id} on {calendar_id}", 404)
    attendees = [dict(attendee) for attendee in current.get("attendees") or []]
    matching = [a for a in attendees if a["email"].lower() == body.email.lower()]
    if not matching:
        return _problem(f"{body.email} is not invited to {event_id}", 404)
    for attendee in matching:
        attendee["responseStatus"] = body.responseStatus
    return _as_host(request, calendar_id, event_id, {"attendees": attendees})


@router.post("/{event_id}/delete", include_in_schema=False)
async def delete(request: Request, calendar_id: str, event_id: str) -> Response:
    """The host deletes the event: it stays, ``status: cancelled``, as Google keeps it."""
    record = _owner(request, calendar_id)
    if record is None:
        return _problem(f"no calendar {calendar_id}", 404)
    store = get_state(request).calendars
    try:
        events.delete(store, record.owner_email, calendar_id, event_id, {}, "host.delete")
    except ApiError as error:
        return JSONResponse(error.body, status_code=error.status)
    return JSONResponse({"deleted": event_id})


@router.post("/{event_id}/instances/cancel", include_in_schema=False)
async def cancel_instance(
    request: Request, calendar_id: str, event_id: str, body: CancelInstanceIn
) -> Response:
    """The host deletes one occurrence of a recurring event (a cancelled exception)."""
    record = _owner(request, calendar_id)
    if record is None:
        return _problem(f"no calendar {calendar_id}", 404)
    try:
        if "T" in body.originalStart:
            original = parse_datetime(body.originalStart)
        else:
            master = record.events.get(event_id) or {"start": {}}
            zone_name = master["start"].get("timeZone") or record.time_zone
            original = date_start(parse_date(body.originalStart), zone_name)
    except TimeFormatError:
        return _problem("originalStart: RFC 3339 with offset, or a date for all-day events")
    store = get_state(request).calendars
    cancelled = store.transact(lambda: recurrence.cancel_instance(record, event_id, original))
    if cancelled is None:
        return _problem(f"{event_id} has no occurrence at {body.originalStart}", 404)
    return JSONResponse({"event": cancelled})
