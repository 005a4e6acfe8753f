"""Control calls for incremental sync and push channels: what Google does on its own.

Google expires sync tokens and channels whenever it likes; tests need to make
that happen on demand to prove the application recovers.
"""

from __future__ import annotations

from fastapi import APIRouter
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
