"""File downloads: a streamed CSV of bookings, a JSON attachment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import Select

from leadscalendar.bookings import export
from leadscalendar.bookings.models import Booking
from leadscalendar.services import Services

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def _attachment(name: str) -> dict[str, str]:
    # Never cached by a shared proxy: the file is the host's leads.
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def csv_response(
    services: Services, statement: Select[Booking, str], host_zone: str, now: datetime
) -> StreamingResponse:
    """The bookings of ``statement`` as a CSV download, fetched and sent batch by batch."""
    body = export.stream_csv(services.session_factory, statement, host_zone=host_zone)
    return StreamingResponse(
        body, media_type=CSV_MEDIA_TYPE, headers=_attachment(export.filename(now))
    )


def json_attachment(content: Any, name: str) -> JSONResponse:
    """A JSON document the browser saves rather than shows."""
    return JSONResponse(jsonable_encoder(content), headers=_attachment(name))
