"""Calendar API v3 routes under ``/calendar/v3``, the paths the real client builds."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from leadscalendar.sandbox.google import events, listing, recurrence
from leadscalendar.sandbox.google.errors import ApiError, api_error, bad_request, required
from leadscalendar.sandbox.google.pipeline import CallContext, Result, run_call
from leadscalendar.sandbox.google.store import CalendarRecord
from leadscalendar.sandbox.google.timeutil import (
    TimeFormatError,
    format_utc,
    has_offset,
    parse_datetime,
)
from leadscalendar.sandbox.google.validation import event_window

router = APIRouter(prefix="/calendar/v3")


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


@router.get("/users/me/calendarList", include_in_schema=False)
async def calendar_list(request: Request) -> Response:
    roles = ("freeBusyReader", "reader", "writer", "owner")

    async def handle(ctx: CallContext) -> Result:
        minimum = request.query_params.get("minAccessRole")
        if minimum is not None and minimum not in roles:
            raise bad_request(f"Invalid value for: minAccessRole {minimum}")
        floor = roles.index(minimum) if minimum else 0
        items = [
            record.list_entry()
            for record in ctx.state.calendars.calendars_of(ctx.account)
            if roles.index(record.access_role) >= floor
        ]
        return {
            "kind": "calendar#calendarList",
            "etag": f'"p{len(items)}"',
            "nextSyncToken": "sandbox-calendar-list",
            "items": items,
        }

    return await run_call(request, "calendarList.list", handle)


@router.get("/users/me/calendarList/{calendar_id}", include_in_schema=False)
async def calendar_list_get(request: Request, calendar_id: str) -> Response:
    async def handle(ctx: CallContext) -> Result:
        return ctx.state.calendars.resolve(ctx.account, calendar_id).list_entry()

    return await run_call(request, "calendarList.get", handle)


@router.get("/calendars/{calendar_id}", include_in_schema=False)
async def calendars_get(request: Request, calendar_id: str) -> Response:
    async def handle(ctx: CallContext) -> Result:
        return ctx.state.calendars.resolve(ctx.account, calendar_id).resource()

    return await run_call(request, "calendars.get", handle)


@router.post("/calendars/{calendar_id}/events", include_in_schema=False)
async def events_insert(request: Request, calendar_id: str) -> Response:
    async def handle(ctx: CallContext) -> Result:
        body = await ctx.json_body()
        return events.insert(ctx.state.calendars, ctx.account, calendar_id, _params(request), body)

    return await run_call(request, "events.insert", handle)


@router.get("/calendars/{calendar_id}/events", include_in_schema=False)
async def events_list(request: Request, calendar_id: str) -> Response:
    async def handle(ctx: CallContext) -> Result:
        multi = {
            key: request.query_params.getlist(key)
            for key in ("privateExtendedProperty", "sharedExtendedProperty")
        }
        return listing.list_events(
            ctx.state.calendars, ctx.account, calendar_id, _params(request), multi
        )

    return await run_call(request, "events.list", handle)


@router.get("/calendars/{calendar_id}/events/{event_id}", include_in_schema=False)
async def events_get(request: Request, calendar_id: str, event_id: str) -> Response:
    async def handle(ctx: CallContext) -> Result:
        return events.get(ctx.state.calendars, ctx.account, calendar_id, event_id)

    return await run_call(request, "events.get", handle)


@router.patch("/calendars/{calendar_id}/events/{event_id}", include_in_schema=False)
async def events_patch(request: Request, calendar_id: str, event_id: str) -> Response:
    async def handle(ctx: CallContext) -> Result:
        body = await ctx.json_body()
        return events.patch(
            ctx.state.calendars, ctx.account, calendar_id, event_id, _params(request), body
        )

    return await run_call(request, "events.patch", handle)


@router.delete("/calendars/{calendar_id}/events/{event_id}", include_in_schema=False)
async def events_delete(request: Request, calendar_id: str, event_id: str) -> Response:
    async def handle(ctx: CallContext) -> Result:
        events.delete(ctx.state.calendars, ctx.account, calendar_id, event_id, _params(request))
        return None

    return await run_call(request, "events.delete", handle)


@router.post("/freeBusy", include_in_schema=False)
async def freebusy_query(request: Request) -> Response:
    async def handle(ctx: CallContext) -> Result:
        return _freebusy(ctx, await ctx.json_body())

    return await run_call(request, "freebusy.query", handle)


def _freebusy_bound(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    if not value:
        raise required(f"Missing {name}.")
    if not isinstance(value, str) or not has_offset(value):
        raise bad_request(f"Bad Request: {name}", location=name)
    try:
        return parse_datetime(value)
    except TimeFormatError:
        raise bad_request(f"Bad Request: {name}", location=name) from None


def _freebusy(ctx: CallContext, body: Any) -> dict[str, Any]:
    """Busy intervals per requested calendar: events that block time, plus seeded blocks."""
    if not isinstance(body, dict):
        raise api_error(400, "parseError", "Parse Error")
    time_min = _freebusy_bound(body, "timeMin")
    time_max = _freebusy_bound(body, "timeMax")
    if time_max <= time_min:
        raise api_error(
            400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar"
        )
    calendars: dict[str, Any] = {}
    for item in body.get("items") or []:
        calendar_id = str(item.get("id", ""))
        try:
            record = ctx.state.calendars.resolve(ctx.account, calendar_id)
        except ApiError:
            calendars[calendar_id] = {
                "errors": [{"domain": "global", "reason": "notFound"}],
                "busy": [],
            }
            continue
        busy = ctx.state.calendars.transact(partial(_busy, record, time_min, time_max))
        calendars[calendar_id] = {
            "busy": [{"start": format_utc(start), "end": format_utc(end)} for start, end in busy]
        }
    return {
        "kind": "calendar#freeBusy",
        "timeMin": format_utc(time_min, millis=True),
        "timeMax": format_utc(time_max, millis=True),
        "calendars": calendars,
    }


def _busy(
    record: CalendarRecord, time_min: datetime, time_max: datetime
) -> list[tuple[datetime, datetime]]:
    spans = list(record.busy)
    for event in recurrence.presented(record, True, time_max):
        if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
            continue
        spans.append(event_window(event, record.time_zone))
    clipped = sorted(
        (max(start, time_min), min(end, time_max))
        for start, end in spans
        if end > time_min and start < time_max
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
