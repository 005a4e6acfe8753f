"""Control API for the Calendar side: trouble injection, calendars, busy blocks, stats.

Kept apart from ``control.py`` (grants and tokens) so each stays small.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from leadscalendar.sandbox.google.chaos import API_METHODS, ScriptedResponse
from leadscalendar.sandbox.google.rendering import render
from leadscalendar.sandbox.google.state import get_state
from leadscalendar.sandbox.google.timeutil import TimeFormatError, format_utc, parse_datetime

router = APIRouter(prefix="/_sandbox")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LatencyIn(Strict):
    seconds: float = Field(ge=0, le=60)


class ScriptedIn(Strict):
    status: int = Field(ge=100, le=599)
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)


class ScriptIn(Strict):
    method: str
    responses: list[ScriptedIn]
    after_apply: bool = False


class FaultsIn(Strict):
    rate: float = Field(ge=0, le=1)
    statuses: list[int] = Field(default_factory=lambda: [503])
    seed: int | None = None
    methods: list[str] | None = None


class QuotasIn(Strict):
    per_user_per_minute: int | None = Field(default=None, ge=0)
    per_project_per_minute: int | None = Field(default=None, ge=0)


class BlockIn(Strict):
    start: str
    end: str


class BusyIn(Strict):
    calendar_id: str
    start: str | None = None
    end: str | None = None
    blocks: list[BlockIn] = Field(default_factory=list)


def _problem(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message}, status_code=status)


@router.post("/latency", include_in_schema=False)
async def set_latency(request: Request, body: LatencyIn) -> Response:
    get_state(request).chaos.set_latency(body.seconds)
    return JSONResponse({"seconds": body.seconds})


@router.post("/script", include_in_schema=False)
async def script(request: Request, body: ScriptIn) -> Response:
    """Queue the next answers of one method; ``after_apply`` runs the call for real first."""
    if body.method not in API_METHODS:
        return _problem(f"unknown method {body.method}; one of {', '.join(API_METHODS)}")
    queued = get_state(request).chaos.script(
        body.method,
        [
            ScriptedResponse(item.status, item.body, item.headers, body.after_apply)
            for item in body.responses
        ],
    )
    return JSONResponse({"method": body.method, "queued": queued})


@router.delete("/script", include_in_schema=False)
async def clear_scripts(request: Request) -> Response:
    get_state(request).chaos.clear_scripts()
    return JSONResponse({"queued": {}})


@router.post("/faults", include_in_schema=False)
async def faults(request: Request, body: FaultsIn) -> Response:
    unknown = set(body.methods or ()) - set(API_METHODS)
    if unknown:
        return _problem(f"unknown methods {sorted(unknown)}")
    chaos = get_state(request).chaos
    chaos.set_faults(
        body.rate,
        tuple(body.statuses),
        body.seed,
        frozenset(body.methods) if body.methods is not None else None,
    )
    return JSONResponse(chaos.describe()["faults"])


@router.post("/quotas", include_in_schema=False)
async def quotas(request: Request, body: QuotasIn) -> Response:
    limiter = get_state(request).quotas
    limiter.configure(body.per_user_per_minute, body.per_project_per_minute)
    return JSONResponse(limiter.describe())


@router.get("/stats", include_in_schema=False)
async def stats(request: Request) -> Response:
    state = get_state(request)
    return JSONResponse(
        state.stats.describe()
        | {"quotas": state.quotas.describe(), "scripted": state.chaos.pending_scripts()}
        | state.chaos.describe()
    )


@router.post("/stats/reset", include_in_schema=False)
async def reset_stats(request: Request) -> Response:
    get_state(request).stats.reset()
    return JSONResponse(get_state(request).stats.describe())


@router.get("/calendars", include_in_schema=False)
async def calendars(request: Request) -> Response:
    records = get_state(request).calendars.all_calendars()
    return JSONResponse({"calendars": [record.describe() for record in records]})


@router.post("/calendars/{calendar_id}/read-only", include_in_schema=False)
async def read_only(request: Request, calendar_id: str) -> Response:
    """The host lost write access (e.g. a shared calendar): inserts get requiredAccessLevel."""
    record = get_state(request).calendars.make_read_only(calendar_id)
    if record is None:
        return _problem(f"no calendar {calendar_id}", 404)
    return JSONResponse({"calendar": record.describe()})


@router.delete("/calendars/{calendar_id}", include_in_schema=False)
async def delete_calendar(request: Request, calendar_id: str) -> Response:
    record = get_state(request).calendars.delete_calendar(calendar_id)
    if record is None:
        return _problem(f"no calendar {calendar_id}", 404)
    return JSONResponse({"calendar": record.describe()})


@router.get("/calendars/{calendar_id}/events", include_in_schema=False)
async def calendar_events(request: Request, calendar_id: str) -> Response:
    """Every event, cancelled included, with what the API does not show (sendUpdates)."""
    found = get_state(request).calendars.snapshot_events(calendar_id)
    if found is None:
        return _problem(f"no calendar {calendar_id}", 404)
    return JSONResponse({"calendar_id": calendar_id, "events": found})


def _parse_block(start: str, end: str) -> tuple[datetime, datetime]:
    begin, finish = parse_datetime(start), parse_datetime(end)
    if finish <= begin:
        raise TimeFormatError(f"{start} .. {end}")
    return begin, finish


@router.post("/busy", include_in_schema=False)
async def busy(request: Request, body: BusyIn) -> Response:
    """Seed busy time that freeBusy reports but that no event explains (other tools)."""
    pairs = [(block.start, block.end) for block in body.blocks]
    if body.start is not None and body.end is not None:
        pairs.append((body.start, body.end))
    try:
        blocks = [_parse_block(start, end) for start, end in pairs]
    except TimeFormatError as exc:
        return _problem(f"bad block {exc}: RFC 3339 with offset, end after start")
    if not get_state(request).calendars.add_busy(body.calendar_id, blocks):
        return _problem(f"no calendar {body.calendar_id}", 404)
    listed = [{"start": format_utc(start), "end": format_utc(end)} for start, end in blocks]
    return JSONResponse({"calendar_id": body.calendar_id, "added": listed})


@router.get("/calendar", include_in_schema=False)
async def calendar_page(request: Request) -> Response:
    """A plain page of every sandbox calendar's events, for the demo."""
    state = get_state(request)
    calendars = []
    for record in state.calendars.all_calendars():
        found = state.calendars.snapshot_events(record.id) or []
        found.sort(
            key=lambda event: str(event["start"].get("dateTime") or event["start"].get("date"))
        )
        calendars.append({"record": record, "events": found})
    return HTMLResponse(render("calendar.html", calendars=calendars))
