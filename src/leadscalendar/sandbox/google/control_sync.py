"""Control calls for incremental sync and push channels: what Google does on its own.

Google expires sync tokens and channels whenever it likes; tests need to make
that happen on demand to prove the application recovers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadscalendar.sandbox.google.state import get_state

router = APIRouter(prefix="/_sandbox")


def _problem(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message}, status_code=status)


@router.post("/calendars/{calendar_id}/sync-tokens/expire", include_in_schema=False)
async def expire_sync_tokens(request: Request, calendar_id: str) -> Response:
    """Every sync token of this calendar now gets 410 ``fullSyncRequired``."""
    record = get_state(request).calendars.expire_sync_tokens(calendar_id)
    if record is None:
        return _problem(f"no calendar {calendar_id}", 404)
    return JSONResponse({"calendar_id": calendar_id, "sync_epoch": record.sync_epoch})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelSettingsIn(Strict):
    default_ttl_seconds: int | None = Field(default=None, ge=1)
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    first_retry_delay_seconds: float | None = Field(default=None, ge=0, le=60)


class ExpireIn(Strict):
    id: str | None = None


def _channels_view(request: Request) -> dict[str, Any]:
    registry = get_state(request).channels
    return {
        "channels": registry.describe(),
        "default_ttl_seconds": registry.default_ttl_seconds,
        "push": registry.delivery.describe(),
    }


@router.get("/channels", include_in_schema=False)
async def channels(request: Request) -> Response:
    """Every channel (live or not) with its expiry and each delivery attempt's outcome."""
    return JSONResponse(_channels_view(request))


@router.post("/channels/settings", include_in_schema=False)
async def channel_settings(request: Request, body: ChannelSettingsIn) -> Response:
    """Default TTL of new channels, and how push retries (attempts, first delay)."""
    registry = get_state(request).channels
    if body.default_ttl_seconds is not None:
        registry.set_default_ttl(body.default_ttl_seconds)
    registry.delivery.configure(body.max_attempts, body.first_retry_delay_seconds)
    return JSONResponse(_channels_view(request))


@router.post("/channels/expire", include_in_schema=False)
async def expire_channels(request: Request, body: ExpireIn) -> Response:
    """One channel (``id``) or every live one reaches its expiration now."""
    expired = get_state(request).channels.expire(body.id)
    if body.id is not None and expired == 0:
        return _problem(f"no live channel {body.id}", 404)
    return JSONResponse({"expired": expired})
