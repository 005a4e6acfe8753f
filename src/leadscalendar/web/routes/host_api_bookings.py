"""The host's JSON API, part 2: bookings (list, read, hold for a lead, and every change).

The same journey functions as the lead's pages run underneath (``booking_flow``),
so the slot rules, the per-host lock and the outbox jobs are identical; the only
difference is who is asking: the booking must belong to the key's host.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.bookings import changes, service
from leadscalendar.bookings.errors import BookingNotFoundError
from leadscalendar.bookings.lead_source import LeadSource
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.schemas import Guest, HoldRequest
from leadscalendar.bookings.search import Position, find_bookings
from leadscalendar.bookings.states import BookingStatus, InvalidTransitionError
from leadscalendar.db.session import read_only
from leadscalendar.idempotency.models import Surface
from leadscalendar.inputs import SingleLineText
from leadscalendar.services import Services
from leadscalendar.web import booking_flow
from leadscalendar.web.api_auth import ApiHost, ApiHostId
from leadscalendar.web.api_filters import BookingFilterQuery
from leadscalendar.web.api_schemas import (
    AnswerOut,
    BookingPage,
    HostBookingOut,
    HostHoldRequest,
    HostRescheduleRequest,
    error_responses,
)
from leadscalendar.web.deps import DbSession, ServicesDep
from leadscalendar.web.idempotency import IdempotencyKeyHeader, answer_once, keyed_request
from leadscalendar.web.routes.host_api import owned_booking_type

router = APIRouter(
    prefix="/api/v1/bookings",
    tags=["host"],
    responses=error_responses(400, 401),
)

MAX_PAGE = 100
CHANGE_ERRORS = error_responses(404, 409)


def owned_booking(
    session: Session, host_id: uuid.UUID, booking_id: uuid.UUID, *, for_update: bool = False
) -> Booking:
    """The host's booking, or 404: another host's booking is indistinguishable from none."""
    booking = service.get_booking(session, booking_id, for_update=for_update)
    if booking.host_id != host_id:
        raise BookingNotFoundError()
    return booking


def _answer(services: Services, session: Session, booking: Booking) -> JSONResponse:
    """Serialised inside the unit of work that produced it (see ``public_api._answer``)."""
    return JSONResponse(host_booking_out(services, session, booking).model_dump(mode="json"))


def host_booking_out(services: Services, session: Session, booking: Booking) -> HostBookingOut:
    lead_view = booking_flow.booking_out(services, session, booking, with_token=True)
    return HostBookingOut(
        **lead_view.model_dump(),
        booking_type_id=str(booking.booking_type_id),
        notes=booking.notes,
        guests=[Guest.model_validate(guest) for guest in booking.guests],
        answers=[AnswerOut.model_validate(answer) for answer in booking.answers or ()],
        source=LeadSource.model_validate(booking.source or {}),
        created_at=booking.created_at,
    )


@router.get("")
def list_bookings(
    session: DbSession,
    services: ServicesDep,
    host: ApiHost,
    where: BookingFilterQuery,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[
        SingleLineText | None,
        Query(max_length=512, description="The ``next`` of the previous page."),
    ] = None,
) -> BookingPage:
    """The host's bookings by start time, ``limit`` at a time; follow ``next`` for more."""
    after = Position.decode(cursor) if cursor else None
    page, next_position = find_bookings(session, host.id, where, limit=limit, after=after)
    return BookingPage(
        data=[host_booking_out(services, session, booking) for booking in page],
        next=next_position.encode() if next_position else None,
    )


@router.post(
    "",
    status_code=201,
    response_model=HostBookingOut,
    responses=error_responses(404, 409, 422, 503),
)
def create_hold(
    request: Request,
    services: ServicesDep,
    host_id: ApiHostId,
    body: HostHoldRequest,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Hold a slot on behalf of a lead; confirm it next (free: booked; paid: a checkout URL)."""

    def plan() -> booking_flow.HoldPlan:
        with read_only(services.read_session_factory) as session:
            type_slug = owned_booking_type(session, host_id, body.booking_type_id).slug
            host = accounts_repository.get_host(session, host_id)
            assert host is not None, "the key's host (its key was just checked)"
            host_slug = host.slug
        hold_request = HoldRequest(
            start=body.start, lead=body.lead, answers=body.answers, source=body.source
        )
        return booking_flow.plan_hold(
            services, host_slug=host_slug, type_slug=type_slug, request=hold_request
        )

    def write(session: Session, planned: booking_flow.HoldPlan) -> HostBookingOut:
        booking = booking_flow.hold(services, session, planned)
        return host_booking_out(services, session, booking).model_copy(update={"token": None})

    keyed = keyed_request(Surface.HOST_API, idempotency_key, request, body)
    answer = answer_once(services, host_id, keyed, status_code=201, prepare=plan, write=write)
    # The token is signed again for every answer, never stored with it.
    token = services.links.token_for(uuid.UUID(answer.body["id"]))
    return answer.with_fields(token=token).json()


@router.get("/{booking_id}", responses=error_responses(404))
def get_booking(
    session: DbSession, services: ServicesDep, host: ApiHost, booking_id: uuid.UUID
) -> HostBookingOut:
    return host_booking_out(services, session, owned_booking(session, host.id, booking_id))


@router.post(
    "/{booking_id}/confirm", response_model=HostBookingOut, responses=error_responses(404, 409, 503)
)
def confirm(services: ServicesDep, host_id: ApiHostId, booking_id: uuid.UUID) -> JSONResponse:
    """Confirm a held booking: free types are booked, paid ones get a ``checkout_url``."""
    with read_only(services.read_session_factory) as session:
        owned_booking(session, host_id, booking_id)
    return booking_flow.confirm(services, booking_id, partial(_answer, services))


@router.post("/{booking_id}/cancel", responses=CHANGE_ERRORS)
def cancel(
    session: DbSession, services: ServicesDep, host: ApiHost, booking_id: uuid.UUID
) -> HostBookingOut:
    """Cancel as the host: the calendar event is removed and any payment refunded in full."""
    owned_booking(session, host.id, booking_id, for_update=True)
    booking = booking_flow.cancel(session, booking_id, changes.CancelledBy.HOST)
    return host_booking_out(services, session, booking)


@router.post(
    "/{booking_id}/reschedule",
    response_model=HostBookingOut,
    responses=error_responses(404, 409, 503),
)
def reschedule(
    services: ServicesDep,
    host_id: ApiHostId,
    booking_id: uuid.UUID,
    body: HostRescheduleRequest,
) -> JSONResponse:
    """Move a booking to another free start; an existing calendar event is moved with it."""
    with read_only(services.read_session_factory) as session:
        owned_booking(session, host_id, booking_id)
    return booking_flow.reschedule(
        services, booking_id, body.start, changes.Actor.HOST, partial(_answer, services)
    )


@router.post("/{booking_id}/approve", responses=CHANGE_ERRORS)
def approve(
    session: DbSession, services: ServicesDep, host: ApiHost, booking_id: uuid.UUID
) -> HostBookingOut:
    """Approve a booking that waits for approval; its calendar event is created next."""
    booking = owned_booking(session, host.id, booking_id, for_update=True)
    if booking.status is not BookingStatus.AWAITING_APPROVAL:
        raise InvalidTransitionError("Only a booking awaiting approval can be approved.")
    return host_booking_out(services, session, changes.approve(session, booking))


@router.post("/{booking_id}/decline", responses=CHANGE_ERRORS)
def decline(
    session: DbSession, services: ServicesDep, host: ApiHost, booking_id: uuid.UUID
) -> HostBookingOut:
    """Decline a booking that waits for approval; any payment is refunded in full."""
    booking = owned_booking(session, host.id, booking_id, for_update=True)
    if booking.status is not BookingStatus.AWAITING_APPROVAL:
        raise InvalidTransitionError("Only a booking awaiting approval can be declined.")
    return host_booking_out(services, session, changes.decline(session, booking))
