"""The host's bookings: a filtered list, one booking's story, and the host's actions on it."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Container
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Form as FormField
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts.models import Host
from leadscalendar.bookings import calendar_decisions, changes, export, host_views
from leadscalendar.bookings.answers import format_answers
from leadscalendar.bookings.errors import BookingNotFoundError
from leadscalendar.bookings.lead_source import format_source
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.states import ACTIVE_STATUSES, BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only
from leadscalendar.errors import LeadsCalendarError, NotFoundError
from leadscalendar.inputs import MultiLineText
from leadscalendar.payments.money import format_money
from leadscalendar.web import booking_flow
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import confirmations
from leadscalendar.web.dashboard.common import form_values, parse_uuid, render
from leadscalendar.web.dashboard.confirmations import Confirmation
from leadscalendar.web.dashboard.display import datetime_local_value, parse_datetime_local
from leadscalendar.web.dashboard.forms import FormValues
from leadscalendar.web.deps import (
    CurrentHost,
    DbSession,
    LoggedIn,
    ReadDbSession,
    ReadHost,
    ServicesDep,
)
from leadscalendar.web.downloads import csv_response
from leadscalendar.web.routes.dashboard import flash

router = APIRouter(prefix="/dashboard/bookings", tags=["dashboard"])

Form = Annotated[FormValues, Depends(form_values)]
# The host's optional message to the lead, shown on the lead's booking page.
Reason = Annotated[MultiLineText, FormField(max_length=confirmations.MAX_REASON_LENGTH)]
PAGE_SIZE = 25
# Far past any host's history; the offset it gives still fits every database's integers.
MAX_PAGE_NUMBER = 100_000
RESCHEDULABLE = frozenset(
    {BookingStatus.PAID, BookingStatus.SCHEDULED, BookingStatus.AWAITING_APPROVAL}
)


def _own_booking(session: Session, host: Host, booking_id: uuid.UUID) -> Booking:
    """The host's booking, locked for the change to come; another host's is a 404."""
    booking = host_views.get_booking(session, host.id, booking_id, for_update=True)
    if booking is None:
        raise BookingNotFoundError()
    return booking


def _filter(
    status: str, when: str, booking_type: str, q: str, source: str = ""
) -> host_views.BookingFilter:
    # Lenient on purpose: a stale bookmark with an unknown value shows everything
    # for that filter instead of an error page.
    return host_views.BookingFilter(
        status=BookingStatus(status) if status in set(BookingStatus) else None,
        when=host_views.When(when) if when in set(host_views.When) else host_views.When.UPCOMING,
        booking_type_id=parse_uuid(booking_type),
        email=q.strip()[:320],
        source=source.strip()[:200],
    )


@router.get("")
def list_bookings(
    request: Request,
    session: ReadDbSession,
    host: ReadHost,
    status: str = "",
    when: str = "upcoming",
    type: str = "",
    q: str = "",
    source: str = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE_NUMBER)] = 1,
) -> Response:
    wanted = _filter(status, when, type, q, source)
    result = host_views.list_bookings(
        session, host.id, wanted, now=utcnow(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    pages = max(1, math.ceil(result.total / PAGE_SIZE))
    query = {
        "status": wanted.status.value if wanted.status else "",
        "when": wanted.when.value,
        "type": str(wanted.booking_type_id or ""),
        "q": wanted.email,
        "source": wanted.source,
    }
    return render(
        request,
        "dashboard/bookings.html",
        host,
        {
            "section": "bookings",
            "page_rows": result.bookings,
            "total": result.total,
            "page": page,
            "pages": pages,
            "query": query,
            "statuses": list(BookingStatus),
            "whens": list(host_views.When),
            "types": host_views.booking_types_by_id(session, host.id),
            "money": format_money,
        },
    )


@router.get("/export.csv")
def export_bookings(
    session: ReadDbSession,
    services: ServicesDep,
    host: ReadHost,
    status: str = "",
    when: str = "upcoming",
    type: str = "",
    q: str = "",
    source: str = "",
) -> StreamingResponse:
    """The bookings the list shows with these filters, every page of them, as CSV."""
    wanted = _filter(status, when, type, q, source)
    now = utcnow()
    statement = export.export_statement(
        host_views.booking_conditions(host.id, wanted, now=now), host_views.booking_order(wanted)
    )
    return csv_response(services, statement, host.timezone, now)


@router.get("/{booking_id}")
def booking_detail(
    request: Request, session: ReadDbSession, host: ReadHost, booking_id: uuid.UUID
) -> Response:
    booking = host_views.get_booking(session, host.id, booking_id)
    if booking is None:
        raise BookingNotFoundError()
    types = host_views.booking_types_by_id(session, host.id)
    return render(
        request,
        "dashboard/booking.html",
        host,
        {
            "section": "bookings",
            "booking": booking,
            "booking_type": types.get(booking.booking_type_id),
            "answers": format_answers(booking.answers),
            "source": format_source(booking.source),
            "timeline": host_views.timeline(session, booking),
            "money": format_money,
            "can_decide": booking.status is BookingStatus.AWAITING_APPROVAL,
            "can_cancel": booking.status in ACTIVE_STATUSES,
            "can_reschedule": booking.status in RESCHEDULABLE,
            "started": changes.has_started(booking, utcnow()),
            "start_value": datetime_local_value(booking.start_at, host.timezone),
            "calendar_change": calendar_decisions.pending_change(booking),
        },
    )


def _act(
    request: Request, session: Session | None, booking_id: uuid.UUID, action: Callable[[], str]
) -> Response:
    """Run a host action; a refusal (say, already cancelled) is shown on the booking page.

    ``session`` is the request's unit of work, rolled back on a refusal; None
    when the action runs units of its own.
    """
    try:
        done = action()
    except NotFoundError:
        raise
    except LeadsCalendarError as error:
        if session is not None:
            session.rollback()
        flash(request, error.message, "error")
    else:
        flash(request, done)
    return RedirectResponse(f"/dashboard/bookings/{booking_id}", status_code=303)


@router.post("/{booking_id}/approve", dependencies=[Depends(require_csrf)])
def approve(
    request: Request, session: DbSession, host: CurrentHost, booking_id: uuid.UUID
) -> Response:
    booking = _own_booking(session, host, booking_id)

    def run() -> str:
        changes.approve(session, booking)
        return "Booking approved; it is being added to your calendar."

    return _act(request, session, booking_id, run)


def _confirm_page(request: Request, host: Host, confirmation: Confirmation) -> Response:
    return render(
        request,
        "dashboard/confirm.html",
        host,
        {
            "section": "bookings",
            "confirmation": confirmation,
            "max_reason": confirmations.MAX_REASON_LENGTH,
        },
    )


def _ask_first(
    request: Request,
    session: Session,
    host: Host,
    booking_id: uuid.UUID,
    allowed: Container[BookingStatus],
    confirmation: Callable[[Booking], Confirmation],
) -> Response:
    """The confirmation page of an action, or back to the booking when it no longer applies."""
    booking = host_views.get_booking(session, host.id, booking_id)
    if booking is None:
        raise BookingNotFoundError()
    if booking.status not in allowed:
        return RedirectResponse(f"/dashboard/bookings/{booking_id}", status_code=303)
    return _confirm_page(request, host, confirmation(booking))


@router.get("/{booking_id}/decline")
def confirm_decline(
    request: Request, session: ReadDbSession, host: ReadHost, booking_id: uuid.UUID
) -> Response:
    """Ask first: what declining refunds, and a message for the lead."""
    awaiting = {BookingStatus.AWAITING_APPROVAL}
    return _ask_first(request, session, host, booking_id, awaiting, confirmations.decline)


@router.post("/{booking_id}/decline", dependencies=[Depends(require_csrf)])
def decline(
    request: Request,
    session: DbSession,
    host: CurrentHost,
    booking_id: uuid.UUID,
    reason: Reason = "",
) -> Response:
    booking = _own_booking(session, host, booking_id)

    def run() -> str:
        changes.decline(session, booking, reason=reason)
        return "Booking declined; any payment is refunded in full."

    return _act(request, session, booking_id, run)


@router.get("/{booking_id}/cancel")
def confirm_cancel(
    request: Request, session: ReadDbSession, host: ReadHost, booking_id: uuid.UUID
) -> Response:
    """Ask first: the refund in money, the calendar event, and a message for the lead."""

    def confirmation(booking: Booking) -> Confirmation:
        return confirmations.cancel(booking, started=changes.has_started(booking, utcnow()))

    return _ask_first(request, session, host, booking_id, ACTIVE_STATUSES, confirmation)


@router.post("/{booking_id}/cancel", dependencies=[Depends(require_csrf)])
def cancel(
    request: Request,
    session: DbSession,
    host: CurrentHost,
    booking_id: uuid.UUID,
    form: Form,
    reason: Reason = "",
) -> Response:
    booking = _own_booking(session, host, booking_id)

    def run() -> str:
        if booking.status not in ACTIVE_STATUSES:
            raise LeadsCalendarError(f"This booking is already {booking.status.value}.", 409)
        # Cancelling a meeting that has taken place refunds it: ask once more.
        if changes.has_started(booking, utcnow()) and form.get("confirm_started") != "yes":
            raise LeadsCalendarError(
                "This booking's time has already come. To cancel it and refund the lead "
                "anyway, tick the confirmation box and cancel again.",
                409,
            )
        changes.cancel(session, booking, by=changes.CancelledBy.HOST, now=utcnow(), reason=reason)
        return "Booking cancelled; any payment is refunded in full."

    return _act(request, session, booking_id, run)


@router.post("/{booking_id}/reschedule", dependencies=[Depends(require_csrf)])
def reschedule(
    request: Request,
    services: ServicesDep,
    login: LoggedIn,
    booking_id: uuid.UUID,
    form: Form,
) -> Response:
    """Move a booking: read, ask Google (no transaction open), then move it in a unit of work."""
    with read_only(services.read_session_factory) as session:
        if host_views.get_booking(session, login.host_id, booking_id) is None:
            raise BookingNotFoundError()
        host = accounts_repository.get_host(session, login.host_id)
        assert host is not None, "the logged-in host"
        zone = host.timezone

    def run() -> str:
        try:
            new_start = parse_datetime_local(form.get("start", ""), zone)
        except ValueError as error:
            raise LeadsCalendarError(f"New time: {error}.") from None
        booking_flow.reschedule(
            services, booking_id, new_start, changes.Actor.HOST, lambda _session, _moved: None
        )
        return "Booking moved to the new time."

    return _act(request, None, booking_id, run)


@router.post("/{booking_id}/calendar-change", dependencies=[Depends(require_csrf)])
def decide_calendar_change(
    request: Request,
    session: DbSession,
    host: CurrentHost,
    booking_id: uuid.UUID,
    form: Form,
) -> Response:
    """The host's answer to a change they made in Google: accept, put back or restore.

    Cancelling after a deletion is the ordinary cancellation (its own page).
    """
    try:
        decision = calendar_decisions.Decision(form.get("decision", ""))
    except ValueError:
        raise LeadsCalendarError("Choose what happens to the booking.", 400) from None
    booking = _own_booking(session, host, booking_id)
    return _act(
        request, session, booking_id, lambda: calendar_decisions.decide(session, booking, decision)
    )
