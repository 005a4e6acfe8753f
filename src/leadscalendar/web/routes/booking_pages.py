"""A lead's booking after confirmation: live status, calendar file, cancel, reschedule.

Reached with the signed token of the booking's links (the checkout's success
and cancel URLs point at the status page). Registered before the
``/{host}/{type}`` booking page so ``/bookings/...`` is never read as a host.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from leadscalendar.availability.zones import load_zone
from leadscalendar.bookings import repository as bookings_repository
from leadscalendar.bookings import service as booking_service
from leadscalendar.bookings.changes import CancelledBy, has_started, refund_due
from leadscalendar.bookings.errors import (
    BookingStartedError,
    NotTakingBookingsError,
    SlotTakenError,
)
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only
from leadscalendar.errors import ConflictError, NotFoundError
from leadscalendar.google.events import event_id_for
from leadscalendar.inputs import BookableDate, bounded_moment
from leadscalendar.notifications.ics import IcsEvent, event_uid, render_ics
from leadscalendar.services import Services
from leadscalendar.web import booking_flow, lead_views, month_view
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.deps import DbSession, ReadDbSession, ServicesDep
from leadscalendar.web.lead_context import (
    HOLD_EXPIRED,
    POLLED_STATUSES,
    RESCHEDULABLE,
    ClockParam,
    MonthParam,
    Token,
    TzParam,
    booking_context,
    hold_expired,
    lead_clock,
    status_url,
)
from leadscalendar.web.templating import templates

router = APIRouter(prefix="/bookings", tags=["public pages"])

FormStr = Annotated[str, Form(max_length=512)]
Flag = Annotated[int, Query(ge=0, le=1)]
CALENDAR_STATUSES = frozenset({BookingStatus.PAID, BookingStatus.SCHEDULED})


def _load(services: ServicesDep, session: Session, booking_id: uuid.UUID, token: str) -> Booking:
    services.links.verify(booking_id, token)
    return booking_service.get_booking(session, booking_id)


@router.get("/{booking_id}")
def status_page(
    request: Request,
    session: ReadDbSession,
    services: ServicesDep,
    booking_id: uuid.UUID,
    token: Token,
    tz: TzParam = None,
    paid: Flag = 0,
    cancelled_checkout: Flag = 0,
    rescheduled: Flag = 0,
) -> Response:
    """Where the booking stands, refreshed every 2 s while payment or the calendar is pending."""
    booking = _load(services, session, booking_id, token)
    time_zone = lead_views.resolve_zone(tz, booking.lead_time_zone)
    context = booking_context(services, session, booking, token, time_zone)
    expired = hold_expired(booking, utcnow())
    abandoned = bool(cancelled_checkout) and booking.status is BookingStatus.AWAITING_PAYMENT
    context.update(
        hold_expired_message=HOLD_EXPIRED if expired else None,
        checkout_abandoned=abandoned,
        back_from_payment=bool(paid),
        rescheduled=bool(rescheduled),
        poll=booking.status in POLLED_STATUSES and not abandoned,
        review_url=f"/bookings/{booking.id}/review?token={context['token']}",
        refund=lead_views.refund_label(
            ((e.kind, e.detail) for e in bookings_repository.timeline(session, booking.id)),
            booking.amount_minor,
            booking.currency,
        ),
    )
    if expired:
        context.update(final=True, can_cancel=False)
    return templates.TemplateResponse(request, "public/status.html", context)


@router.get("/{booking_id}/event.ics")
def event_ics(
    session: ReadDbSession, services: ServicesDep, booking_id: uuid.UUID, token: Token
) -> Response:
    """The booking as an iCalendar file, with the host's Google event id as its UID."""
    booking = _load(services, session, booking_id, token)
    if booking.status not in CALENDAR_STATUSES:
        raise NotFoundError("This booking is not on the calendar, so there is no file to add.")
    context = booking_context(services, session, booking, token, booking.lead_time_zone)
    booking_type = bookings_repository.get_booking_type_by_id(session, booking.booking_type_id)
    reschedules = sum(
        1
        for entry in bookings_repository.timeline(session, booking.id)
        if entry.kind == "rescheduled"
    )
    description = [
        f"Your booking: {services.settings.public_url.rstrip('/')}{context['status_url']}"
    ]
    if booking.meet_link:
        description.insert(0, f"Google Meet: {booking.meet_link}")
    body = render_ics(
        IcsEvent(
            uid=event_uid(booking.google_event_id or event_id_for(booking.id)),
            start=booking.start_at,
            end=booking.end_at,
            stamp=utcnow(),
            summary=context["title"],
            description="\n".join(description),
            location=(booking_type.location if booking_type else None) or booking.meet_link or "",
            sequence=reschedules,
        )
    )
    return Response(
        body.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="booking.ics"'},
    )


@router.get("/{booking_id}/cancel")
def cancel_page(
    request: Request,
    session: ReadDbSession,
    services: ServicesDep,
    booking_id: uuid.UUID,
    token: Token,
) -> Response:
    """Ask before cancelling, and say whether the payment comes back."""
    booking = _load(services, session, booking_id, token)
    context = booking_context(services, session, booking, token, booking.lead_time_zone)
    if not context["can_cancel"]:
        return RedirectResponse(context["status_url"], status_code=303)
    booking_type = bookings_repository.get_booking_type_by_id(session, booking.booking_type_id)
    assert booking_type is not None
    context["refund"] = (
        None
        if booking.paid_at is None
        else refund_due(booking, CancelledBy.LEAD, utcnow(), booking_type.refund_cutoff_hours)
    )
    context["refund_cutoff_hours"] = booking_type.refund_cutoff_hours
    return templates.TemplateResponse(request, "public/cancel.html", context)


@router.post("/{booking_id}/cancel", dependencies=[Depends(require_csrf)])
def cancel(
    session: DbSession, services: ServicesDep, booking_id: uuid.UUID, token: FormStr = ""
) -> Response:
    _load(services, session, booking_id, token)
    booking = booking_flow.cancel(session, booking_id, CancelledBy.LEAD)
    return RedirectResponse(status_url(booking.id, token), status_code=303)


def _reschedule_page(
    request: Request,
    session: Session,
    services: ServicesDep,
    booking: Booking,
    token: str,
    *,
    asked: month_view.MonthQuery,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    """The booking page's month view over the slots ``reschedule`` accepts for this booking.

    Same computation as the move itself: this booking's own time is not taken,
    so times overlapping it (and its day's limit) are offered as they are accepted.
    """
    if booking.status not in RESCHEDULABLE:
        raise ConflictError("This booking can no longer be moved.")
    if has_started(booking, utcnow()):
        raise BookingStartedError()
    host, booking_type = bookings_repository.host_and_type_of(session, booking)
    context = booking_context(services, session, booking, token, asked.time_zone)
    base = f"/bookings/{booking.id}/reschedule"
    view = month_view.load(
        services,
        host_slug=host.slug,
        booking_type=booking_type,
        asked=asked,
        base=base,
        extra={"token": token},
        exclude=booking.id,
    )
    clock = lead_views.clock_param(asked.clock)
    context.update(
        view=None,
        message=message,
        unavailable=None,
        zone_names=lead_views.zone_names(),
        zone_labels=lead_views.zone_labels(utcnow()),
        clock=asked.clock,
        clock_param=clock,
        when=lead_views.moment(booking.start_at, booking.end_at, asked.time_zone, asked.clock),
        current_start=booking.start_at,
        action=base,
    )
    if isinstance(view, NotTakingBookingsError):
        context["unavailable"] = view.message
        status_code = view.status_code
    else:
        query = {"token": token, "month": view.month_key}
        context.update(view=view, clock_urls=month_view.clock_urls(base, query, asked.time_zone))
    return templates.TemplateResponse(
        request, "public/reschedule.html", context, status_code=status_code
    )


@router.get("/{booking_id}/reschedule")
def reschedule_page(
    request: Request,
    session: ReadDbSession,
    services: ServicesDep,
    booking_id: uuid.UUID,
    token: Token,
    tz: TzParam = None,
    clock: ClockParam = None,
    month: MonthParam = None,
    day: Annotated[BookableDate | None, Query()] = None,
    start: Annotated[BookableDate | None, Query()] = None,
) -> Response:
    """The same month view as the booking page; picking a time moves the booking."""
    booking = _load(services, session, booking_id, token)
    time_zone = lead_views.resolve_zone(tz, booking.lead_time_zone)
    asked = month_view.MonthQuery(
        time_zone, lead_clock(request, clock), month_view.parse_month(month), day or start
    )
    return _reschedule_page(request, session, services, booking, token, asked=asked)


@router.post("/{booking_id}/reschedule", dependencies=[Depends(require_csrf)])
def reschedule(
    request: Request,
    services: ServicesDep,
    booking_id: uuid.UUID,
    token: FormStr = "",
    start: FormStr = "",
    tz: FormStr = "",
    clock: FormStr = "",
) -> Response:
    """Move the booking: read it, ask Google (no transaction open), move it in a unit of work."""
    with read_only(services.read_session_factory) as session:
        lead_zone = _load(services, session, booking_id, token).lead_time_zone
    time_zone = lead_views.resolve_zone(tz, lead_zone)
    asked = month_view.MonthQuery(time_zone, lead_clock(request, clock))
    try:
        new_start = bounded_moment(datetime.fromisoformat(start))
    except ValueError:
        return _refused_page(
            request,
            services,
            booking_id,
            token,
            asked,
            message="That time is not valid. Please pick one from the list.",
            status_code=400,
        )
    try:
        booking_flow.reschedule(
            services, booking_id, new_start, CancelledBy.LEAD, lambda _session, _moved: None
        )
    except SlotTakenError as exc:
        again = month_view.MonthQuery(
            time_zone, asked.clock, day=new_start.astimezone(load_zone(time_zone)).date()
        )
        return _refused_page(
            request,
            services,
            booking_id,
            token,
            again,
            message=f"That time was just taken. {exc.message}",
            status_code=409,
        )
    return RedirectResponse(status_url(booking_id, token, rescheduled="1"), status_code=303)


def _refused_page(
    request: Request,
    services: Services,
    booking_id: uuid.UUID,
    token: str,
    asked: month_view.MonthQuery,
    *,
    message: str,
    status_code: int,
) -> Response:
    """The page again after a refused move, read on a read-only session of its own.

    The route's write phase has ended (rolled back) before this: no transaction
    of the route is open while the month view asks Google for free/busy.
    """
    with read_only(services.read_session_factory) as session:
        booking = booking_service.get_booking(session, booking_id)
        return _reschedule_page(
            request,
            session,
            services,
            booking,
            token,
            asked=asked,
            message=message,
            status_code=status_code,
        )
