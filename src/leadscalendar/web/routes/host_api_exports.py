"""The host's JSON API, exports: every booking matching the list's filters, as CSV.

A module of its own, included before ``host_api_bookings``: there,
``/bookings/{booking_id}`` would claim ``/bookings/export`` and refuse it as a
malformed id.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from leadscalendar.bookings import export
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.search import filter_conditions
from leadscalendar.db.base import utcnow
from leadscalendar.web.api_auth import ApiHost
from leadscalendar.web.api_filters import BookingFilterQuery
from leadscalendar.web.api_schemas import error_responses
from leadscalendar.web.deps import ServicesDep
from leadscalendar.web.downloads import CSV_MEDIA_TYPE, csv_response

router = APIRouter(
    prefix="/api/v1/bookings", tags=["host exports"], responses=error_responses(400, 401)
)

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One header row, then one row per booking; UTF-8 with a byte order mark.",
        "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}


@router.get("/export", response_class=StreamingResponse, responses=CSV_RESPONSE)
def export_bookings(
    services: ServicesDep, host: ApiHost, where: BookingFilterQuery
) -> StreamingResponse:
    """Every booking the list would page through with these filters, as one CSV, streamed.

    Columns: the booking, its times in UTC (ISO 8601, ``Z``) and in the host's
    zone, the lead's details, then the amount. Cells a spreadsheet would run
    as a formula start with ``'``.
    """
    order = (Booking.start_at.asc(), Booking.id.asc())
    statement = export.export_statement(filter_conditions(host.id, where), order)
    return csv_response(services, statement, host.timezone, utcnow())
