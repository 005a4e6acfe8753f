"""The host API's booking filters, one dependency for the list and the CSV export.

Both answer "the host's bookings matching these", so they take the same query
parameters with the same words; the export is the list without paging.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from leadscalendar.bookings.search import BookingFilter
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.inputs import BoundedDatetime, SingleLineText


def booking_filter(
    status: Annotated[list[BookingStatus] | None, Query(description="Any of these.")] = None,
    booking_type_id: uuid.UUID | None = None,
    start_from: Annotated[BoundedDatetime | None, Query(description="Starts at or after.")] = None,
    start_before: Annotated[BoundedDatetime | None, Query(description="Starts before.")] = None,
    lead_email: Annotated[SingleLineText | None, Query(max_length=320)] = None,
    source: Annotated[
        SingleLineText | None,
        Query(
            max_length=200,
            description="Part of any lead source value: utm_*, ref or the referring site.",
        ),
    ] = None,
) -> BookingFilter:
    """The filter the query parameters describe (none given: every booking)."""
    return BookingFilter(
        statuses=tuple(status or ()),
        booking_type_id=booking_type_id,
        start_from=start_from,
        start_before=start_before,
        lead_email=lead_email,
        source=source,
    )


BookingFilterQuery = Annotated[BookingFilter, Depends(booking_filter)]
