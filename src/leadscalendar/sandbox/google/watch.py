"""events.watch and channels.stop, the two push-notification methods of Calendar v3."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from leadscalendar.sandbox.google.pipeline import CallContext, Result, run_call

router = APIRouter(prefix="/calendar/v3")


@router.post("/calendars/{calendar_id}/events/watch", include_in_schema=False)
async def events_watch(request: Request, calendar_id: str) -> Response:
    async def handle(ctx: CallContext) -> Result:
        body = await ctx.json_body()
        record = ctx.state.calendars.resolve(ctx.account, calendar_id)
        resource_uri = (
            f"{request.base_url}calendar/v3/calendars/{quote(calendar_id, safe='@')}"
            "/events?alt=json"
        )
        return ctx.state.channels.watch(ctx.account, record.id, body, resource_uri)

    return await run_call(request, "events.watch", handle)


@router.post("/channels/stop", include_in_schema=False)
async def channels_stop(request: Request) -> Response:
    async def handle(ctx: CallContext) -> Result:
        ctx.state.channels.stop(ctx.account, await ctx.json_body())
        return None

    return await run_call(request, "channels.stop", handle)
