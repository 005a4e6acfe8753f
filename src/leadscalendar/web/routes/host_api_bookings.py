"""The host's JSON API, part 2: bookings (list, read, hold for a lead, and every change).

The same journey functions as the lead's pages run underneath (``booking_flow``),
so the slot rules, the per-host lock and the outbox jobs are identical; the only
difference is who is asking: the booking must belong to the key's host.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.bookings import changes, service
from leadscalendar.bookings.errors import BookingNotFoundError
from leadscalendar.bookings.lead_source import LeadSource
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.schemas import Guest, HoldRequest
from leadscalendar.bookings.search import BookingFilter, Position, find_bookings
from leadscalendar.bookings.states import BookingStatus, InvalidTransitionError
from leadscalendar.idempotency.models import Surface
from leadscalendar.inputs import BoundedDatetime, SingleLineText
from leadscalendar.services import Services
from leadscalendar.web import booking_flow
from leadscalendar.web.api_auth import ApiHost
from leadscalendar.web.api_schemas import (
    AnswerOut,
    BookingPage,
    HostBookingOut,
    HostHoldRequest,
    HostRescheduleRequest,
    error_responses,
)
from leadscalendar.web.deps import DbSession, ServicesDep
from leadscalendar.web.idempotency import (
    IdempotencyKeyHeader,
    answer_once,
    keyed_request,
    respond,
)
from leadscalendar.web.routes.host_api import owned_booking_type

router = APIRouter(
    prefix="/api/v1/bookings",
    tags=["host"],
    responses=error_responses(400, 401),
)

MAX_PAGE = 100
CHANGE_ERRORS = error_responses(404, 409)


def owned_booking(
    session: Session, host: Host, booking_id: uuid.UUID, *, for_update: bool = False
) -> Booking:
    """The host's booking, or 404: another host's booking is indistinguishable from none."""
    booking = service.get_booking(session, booking_id, for_update=for_update)
    if booking.host_id != host.id:
        raise BookingNotFoundError()
    return booking


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
    status: Annotated[list[BookingStatus] | None, Query(description="Any of these.")] = None,
    booking_type_id: uuid.UUID | None = None,
    start_from: Annotated[BoundedDatetime | None, Query(description="Starts at or after.")] = None,
    start_before: Annotated[BoundedDatetime | None, Query(description="Starts before.")] = None,
    lead_email: Annotated[SingleLineText | None, Query(max_length=320)] = None,
    source: Annotated[
        SingleLineText | None,
        Query(
            max_length=200,
            description="Part of the lead source: utm_source, utm_medium, utm_campaign or ref.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[
        SingleLineText | None,
        Query(max_length=512, description="The ``next`` of the previous page."),
    ] = None,
) -> BookingPage:
    """The host's bookings by start time, ``limit`` at a time; follow ``next`` for more."""
    where = BookingFilter(
        statuses=tuple(status or ()),
        booking_type_id=booking_type_id,
        start_from=start_from,
        start_before=start_before,
        lead_email=lead_email,
        source=source,
    )
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
    session: DbSession,
    services: ServicesDep,
    host: ApiHost,
    body: HostHoldRequest,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Hold a slot on behalf of a lead; confirm it next (free: booked; paid: a checkout URL)."""

    def hold() -> HostBookingOut:
        booking_type = owned_booking_type(session, host, body.booking_type_id)
        booking = booking_flow.hold(
            services,
            session,
            host_slug=host.slug,
            type_slug=booking_type.slug,
            request=HoldRequest(
                start=body.start, lead=body.lead, answers=body.answers, source=body.source
            ),
        )
        return host_booking_out(services, session, booking).model_copy(update={"token": None})

    keyed = keyed_request(Surface.HOST_API, idempotency_key, request, body)
    answer = answer_once(session, host.id, keyed, status_code=201, produce=hold)
    # The token is signed again for every answer, never stored with it.
    token = services.links.token_for(uuid.UUID(answer.body["id"]))
    return respond(session, answer.with_fields(token=token))


@router.get("/{booking_id}", responses=error_responses(404))
def get_booking(
    session: DbSession, services: ServicesDep, host: ApiHost, booking_id: uuid.UUID
) -> HostBookingOut:
    return host_booking_out(services, session, owned_booking(session, host, booking_id))


@router.post("/{booking_id}/confirm", responses=error_responses(404, 409, 503))
def confirm(
    session: DbSession, services: ServicesDep, host: ApiHost, booking_id: uuid.UUID
) -> HostBookingOut:
    """Confirm a held booking: free types are booked, paid ones get a ``checkout_url``."""
    owned_booking(session, host, booking_id)
    booking = booking_flow.confirm(services, session, booking_id)
    return host_booking_out(services, session, booking)


@router.post("/{booking_id}/cancel", responses=CHANGE_ERRORS)
def cancel(
    session: DbSession, services: ServicesDep, host: ApiHost, booking_id: uuid.UUID
) -> HostBookingOut:
    """Cancel as the host: the calendar event is removed and any payment refunded in full."""
    owned_booking(session, host, booking_id, for_update=True)
    booking = booking_flow.cancel(session, booking_id, changes.CancelledBy.HOST)
    return host_booking_out(services, session, booking)


@router.post("/{booking_id}/reschedule", responses=error_responses(404, 409, 503))
def reschedule(
    session: DbSession,
    services: ServicesDep,
    host: ApiHost,
    booking_id: uuid.UUID,
    body: HostRescheduleRequest,
) -> HostBookingOut:
    """Move a booking to another free start; an existing calendar event is moved with it."""
    owned_booking(session, host, booking_id)
    booking = booking_flow.reschedule(services, session, booking_id, body.start, changes.Actor.HOST)
    return host_booking_out(services, session, booking)


@router.post("/{booking_id}/approve", responses=CHANGE_ERRORS)
def approve(
    session: DbSession, services: ServicesDep, host: ApiHost, booking_id: uuid.UUID
) -> HostBookingOut:
    """Approve a booking that waits for approval; its calendar event is created next."""
    booking = owned_booking(session, host, booking_id, for_update=True)
    if booking.status is not BookingStatus.AWAITING_APPROVAL:
        raise InvalidTransitionError("Only a booking awaiting approval can be approved.")
    return host_booking_out(services, session, changes.approve(session, booking))


@router.post("/{booking_id}/decline", responses=CHANGE_ERRORS)
def decline(
    session: DbSession, services: ServicesDep, host: ApiHost, booking_id: uuid.UUID
) -> HostBookingOut:
    """Decline a booking that waits for approval; any payment is refunded in full."""
    booking = owned_booking(session, host, booking_id, for_update=True)
    if booking.status is not BookingStatus.AWAITING_APPROVAL:
        raise InvalidTransitionError("Only a booking awaiting approval can be declined.")
    return host_booking_out(services, session, changes.decline(session, booking))
