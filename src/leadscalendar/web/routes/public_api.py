"""The lead's JSON API: slots, holds, confirmation, status, cancel, reschedule.

No account: a booking is reached with the signed token returned when it was
held (the same token the lead's e-mailed links carry).
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from leadscalendar.bookings import service as booking_service
from leadscalendar.bookings.changes import CancelledBy
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.schemas import BookingOut, HoldRequest, RescheduleRequest, SlotsOut
from leadscalendar.bookings.slot_cache import SlotKey
from leadscalendar.db.base import utcnow
from leadscalendar.idempotency.models import Surface
from leadscalendar.inputs import BookableDate, IanaTimeZone
from leadscalendar.services import Services
from leadscalendar.web import booking_flow
from leadscalendar.web.api_schemas import error_responses
from leadscalendar.web.deps import DbSession, ReadDbSession, ServicesDep
from leadscalendar.web.idempotency import IdempotencyKeyHeader, keyed_request
from leadscalendar.web.rate_limit import HoldRateLimit, count_hold_attempt

router = APIRouter(prefix="/api/v1/public", tags=["public booking"])

Token = Annotated[
    str, Query(min_length=1, max_length=512, description="The booking's signed token.")
]


def _answer(services: Services, session: Session, booking: Booking) -> JSONResponse:
    """The booking as the lead sees it, serialised while its unit of work is still open.

    A response object is not validated again: FastAPI would otherwise check a
    sync route's return value on a worker thread after the route returns, with
    the request's transaction still open (the per-host row lock; on SQLite the
    write lock), while a burst of requests held every worker waiting for it.
    """
    out = booking_flow.booking_out(services, session, booking, with_token=False)
    return JSONResponse(out.model_dump(mode="json"))


@router.get("/hosts/{host_slug}/types/{type_slug}/slots", response_model=SlotsOut)
async def slots(
    services: ServicesDep,
    host_slug: str,
    type_slug: str,
    start: Annotated[BookableDate | None, Query(description="First day (lead's calendar).")] = None,
    days: Annotated[int, Query(ge=1, le=31)] = 7,
    tz: Annotated[
        IanaTimeZone, Query(max_length=64, description="The lead's IANA time zone.")
    ] = "UTC",
) -> Response:
    """Free slots, grouped by day in the lead's time zone.

    The page a lead's browser asks most: async, with all of its work in one
    worker-thread call (a sync route costs four thread hops: session open,
    route, response validation, session close). Usually that work is one
    statement, the host's availability version, and the answer is the JSON
    this process encoded when it computed it (``bookings.slot_cache``); when
    the version moved or time ran out, the slots are computed afresh on
    read-only sessions.
    """
    key = SlotKey(host_slug, type_slug, start or utcnow().date(), days, tz)
    answer = await anyio.to_thread.run_sync(booking_flow.slot_answer, services, key)
    return Response(answer.body, media_type="application/json")


@router.post(
    "/hosts/{host_slug}/types/{type_slug}/bookings",
    status_code=201,
    response_model=BookingOut,
    responses=error_responses(409, 422),
    dependencies=[HoldRateLimit],
)
def create_hold(
    request: Request,
    services: ServicesDep,
    host_slug: str,
    type_slug: str,
    body: HoldRequest,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Hold a slot for the lead; 409 with the next free times when it was just taken.

    A retry with the same ``Idempotency-Key`` and the same body gets the first
    answer again; the key is this API's alone (the host API's and the pages'
    keys are other spaces), and another body with it is refused.
    """
    # The body has passed validation here: only now does the attempt count.
    count_hold_attempt(request)
    answer = booking_flow.hold_once(
        services,
        booking_flow.host_id_of(services, host_slug, type_slug),
        keyed_request(Surface.PUBLIC_API, idempotency_key, request, body),
        host_slug=host_slug,
        type_slug=type_slug,
        request=body,
        status_code=201,
    )
    # The token is signed again for every answer, never stored with it.
    token = services.links.token_for(uuid.UUID(answer.body["id"]))
    return answer.with_fields(token=token).json()


@router.get("/bookings/{booking_id}", response_model=BookingOut)
def get_booking(
    session: ReadDbSession, services: ServicesDep, booking_id: uuid.UUID, token: Token
) -> JSONResponse:
    services.links.verify(booking_id, token)
    return _answer(services, session, booking_service.get_booking(session, booking_id))


@router.post("/bookings/{booking_id}/confirm", response_model=BookingOut)
def confirm(services: ServicesDep, booking_id: uuid.UUID, token: Token) -> JSONResponse:
    """Free types are booked at once; paid types answer with the ``checkout_url`` to pay at."""
    services.links.verify(booking_id, token)
    return booking_flow.confirm(services, booking_id, partial(_answer, services))


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut)
def cancel(
    session: DbSession, services: ServicesDep, booking_id: uuid.UUID, token: Token
) -> JSONResponse:
    services.links.verify(booking_id, token)
    booking = booking_flow.cancel(session, booking_id, CancelledBy.LEAD)
    return _answer(services, session, booking)


@router.post("/bookings/{booking_id}/reschedule", response_model=BookingOut)
def reschedule(
    services: ServicesDep, booking_id: uuid.UUID, token: Token, body: RescheduleRequest
) -> JSONResponse:
    services.links.verify(booking_id, token)
    return booking_flow.reschedule(
        services, booking_id, body.start, CancelledBy.LEAD, partial(_answer, services)
    )
