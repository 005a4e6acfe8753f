"""The host's JSON API, part 1: booking types and their free slots.

Every route acts for the host whose API key is in ``Authorization: Bearer``;
another host's resources do not exist here (404), whatever their id.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.bookings import booking_types, repository
from leadscalendar.bookings.booking_types import BookingTypeIn
from leadscalendar.bookings.models import BookingType
from leadscalendar.bookings.schemas import SlotsOut
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only
from leadscalendar.errors import NotFoundError
from leadscalendar.idempotency.models import Surface
from leadscalendar.inputs import BookableDate, IanaTimeZone
from leadscalendar.web import booking_flow
from leadscalendar.web.api_auth import ApiHost, ApiHostId
from leadscalendar.web.api_schemas import BookingTypeList, BookingTypeOut, error_responses
from leadscalendar.web.deps import DbSession, ServicesDep
from leadscalendar.web.idempotency import IdempotencyKeyHeader, keyed_request, run_idempotent

router = APIRouter(
    prefix="/api/v1",
    tags=["host"],
    responses=error_responses(400, 401),
)


class BookingTypeMissingError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("There is no such booking type.")


def owned_booking_type(
    session: Session, host_id: uuid.UUID, booking_type_id: uuid.UUID
) -> BookingType:
    booking_type = repository.get_booking_type_by_id(session, booking_type_id)
    if booking_type is None or booking_type.host_id != host_id:
        raise BookingTypeMissingError()
    return booking_type


def booking_type_out(booking_type: BookingType) -> BookingTypeOut:
    fields = {name: getattr(booking_type, name) for name in BookingTypeIn.model_fields}
    return BookingTypeOut.model_validate(
        {
            **fields,
            "id": str(booking_type.id),
            "created_at": booking_type.created_at,
            "updated_at": booking_type.updated_at,
        }
    )


@router.get("/booking-types")
def list_booking_types(session: DbSession, host: ApiHost) -> BookingTypeList:
    """Every booking type of the host, active or not."""
    return BookingTypeList(
        data=[booking_type_out(bt) for bt in repository.list_booking_types(session, host.id)]
    )


@router.post(
    "/booking-types",
    status_code=201,
    response_model=BookingTypeOut,
    responses=error_responses(409, 422),
)
def create_booking_type(
    request: Request,
    services: ServicesDep,
    host_id: ApiHostId,
    body: BookingTypeIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Create a booking type; 409 when the slug is already used by another of the host's types."""
    return run_idempotent(
        services,
        host_id,
        keyed_request(Surface.HOST_API, idempotency_key, request, body),
        status_code=201,
        write=lambda session: booking_type_out(
            booking_types.create_booking_type(session, host_id, body)
        ),
    )


@router.get("/booking-types/{booking_type_id}", responses=error_responses(404))
def get_booking_type(
    session: DbSession, host: ApiHost, booking_type_id: uuid.UUID
) -> BookingTypeOut:
    return booking_type_out(owned_booking_type(session, host.id, booking_type_id))


@router.put("/booking-types/{booking_type_id}", responses=error_responses(404, 409))
def update_booking_type(
    session: DbSession, host: ApiHost, booking_type_id: uuid.UUID, body: BookingTypeIn
) -> BookingTypeOut:
    """Replace every field of a booking type (its bookings keep their times and price)."""
    booking_type = owned_booking_type(session, host.id, booking_type_id)
    updated = booking_types.update_booking_type(session, booking_type, body)
    session.flush()
    return booking_type_out(updated)


@router.get("/booking-types/{booking_type_id}/slots", responses=error_responses(404, 503))
def list_slots(
    services: ServicesDep,
    host_id: ApiHostId,
    booking_type_id: uuid.UUID,
    start: Annotated[BookableDate | None, Query(description="First day (in ``tz``).")] = None,
    days: Annotated[int, Query(ge=1, le=booking_flow.MAX_DAYS_PER_REQUEST)] = 7,
    tz: Annotated[
        IanaTimeZone, Query(max_length=64, description="IANA time zone of the days.")
    ] = "UTC",
) -> SlotsOut:
    """Free slots of an active booking type, grouped by day in ``tz``."""
    # A read of its own: the slots are read on read-only sessions of their own,
    # around a free/busy call that holds no transaction.
    with read_only(services.read_session_factory) as session:
        host = accounts_repository.get_host(session, host_id)
        if host is None:
            raise BookingTypeMissingError()
        slug = owned_booking_type(session, host_id, booking_type_id).slug
        host_slug = host.slug
    return booking_flow.list_slots(
        services,
        host_slug=host_slug,
        type_slug=slug,
        first_day=start or utcnow().date(),
        days=days,
        time_zone=tz,
    )
