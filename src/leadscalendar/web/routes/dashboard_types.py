"""The host's booking types: list, create, edit."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.bookings import booking_types, repository
from leadscalendar.bookings.booking_types import MAX_REMINDERS, BookingTypeIn
from leadscalendar.bookings.errors import BookingTypeNotFoundError
from leadscalendar.bookings.models import BookingType
from leadscalendar.bookings.park_codes import RESUMED_ON_CALENDAR
from leadscalendar.bookings.questions import MAX_QUESTIONS, TYPE_LABELS, stored_questions
from leadscalendar.db.session import read_only, unit_of_work
from leadscalendar.errors import ConflictError
from leadscalendar.jobs import resume_parked
from leadscalendar.payments.money import format_money
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import onboarding, sharing, type_form
from leadscalendar.web.dashboard.common import (
    CalendarChoices,
    form_values,
    render,
    writable_calendars,
)
from leadscalendar.web.dashboard.forms import (
    FieldErrors,
    FormInvalidError,
    FormValues,
)
from leadscalendar.web.deps import (
    LoggedIn,
    ReadDbSession,
    ReadHost,
    ServicesDep,
    login_host,
)
from leadscalendar.web.routes.dashboard import flash

router = APIRouter(prefix="/dashboard/types", tags=["dashboard"])

Form = Annotated[FormValues, Depends(form_values)]


def own_type(session: Session, host: Host, type_id: uuid.UUID) -> BookingType:
    """The host's booking type; another host's is as absent as a missing one (404)."""
    booking_type = repository.get_booking_type_by_id(session, type_id)
    if booking_type is None or booking_type.host_id != host.id:
        raise BookingTypeNotFoundError()
    return booking_type


def _form_page(
    request: Request,
    host: Host,
    *,
    values: FormValues,
    choices: CalendarChoices,
    booking_type: BookingType | None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
    next_url: str | None = None,
) -> Response:
    return render(
        request,
        "dashboard/type_form.html",
        host,
        {
            "values": values,
            "errors": errors or {},
            "booking_type": booking_type,
            "choices": choices,
            "send_updates": type_form.SEND_UPDATES_LABELS,
            "max_reminders": MAX_REMINDERS,
            "questions": stored_questions(booking_type.questions) if booking_type else [],
            "question_types": TYPE_LABELS,
            "max_questions": MAX_QUESTIONS,
            "action": f"/dashboard/types/{booking_type.id}" if booking_type else "/dashboard/types",
            "next_url": next_url,
        },
        status_code=status_code,
    )


def _validated(values: FormValues, choices: CalendarChoices) -> BookingTypeIn:
    data = type_form.parse(values)
    # Only a calendar the host can write to may receive bookings; when Google
    # cannot be asked, the typed id is trusted and checked by the first event.
    if data.calendar_id and choices.calendars is not None and data.calendar_id not in choices.ids:
        raise FormInvalidError({"calendar_id": "choose one of your calendars you can write to"})
    return data


@router.get("")
def list_types(
    request: Request, session: ReadDbSession, services: ServicesDep, host: ReadHost
) -> Response:
    """The host's booking types, each with its link and embeds to copy."""
    types = repository.list_booking_types(session, host.id)
    public_url = services.settings.public_url
    return render(
        request,
        "dashboard/types.html",
        host,
        {
            "types": types,
            "money": format_money,
            "host_share": sharing.share(public_url, f"/{host.slug}", "Book a time"),
            "shares": {
                t.id: sharing.share(public_url, f"/{host.slug}/{t.slug}", f"Book {t.title}")
                for t in types
            },
        },
    )


# The form routes ask Google for the host's calendars first, with no transaction
# open, then read or write in a unit of work of their own (no ``CurrentHost``: its
# session would already be in a transaction during the call).


@router.get("/new")
def new_type(
    request: Request, services: ServicesDep, login: LoggedIn, next: str | None = None
) -> Response:
    choices = writable_calendars(services, login.host_id)
    with read_only(services.read_session_factory) as session:
        return _form_page(
            request,
            login_host(session, login),
            values=type_form.initial_values(None),
            choices=choices,
            booking_type=None,
            next_url=onboarding.next_url(next),
        )


@router.post("", dependencies=[Depends(require_csrf)])
def create_type(request: Request, services: ServicesDep, login: LoggedIn, form: Form) -> Response:
    choices = writable_calendars(services, login.host_id)
    with unit_of_work(services.session_factory) as session:
        host = login_host(session, login)
        try:
            data = _validated(form, choices)
            created = booking_types.create_booking_type(session, host.id, data)
        except (FormInvalidError, ConflictError) as refused:
            errors = (
                refused.errors
                if isinstance(refused, FormInvalidError)
                else {"slug": refused.message}
            )
            return _form_page(
                request,
                host,
                values=form,
                choices=choices,
                booking_type=None,
                errors=errors,
                status_code=400,
                next_url=onboarding.next_url(form.get("next")),
            )
        flash(request, f"Booking type “{created.title}” created.")
        after = onboarding.return_to(form.get("next"), f"/dashboard/types/{created.id}")
    return RedirectResponse(after, status_code=303)


@router.get("/{type_id}")
def edit_type(
    request: Request, services: ServicesDep, login: LoggedIn, type_id: uuid.UUID
) -> Response:
    choices = writable_calendars(services, login.host_id)
    with read_only(services.read_session_factory) as session:
        host = login_host(session, login)
        booking_type = own_type(session, host, type_id)
        values = type_form.initial_values(booking_type)
        return _form_page(request, host, values=values, choices=choices, booking_type=booking_type)


@router.post("/{type_id}", dependencies=[Depends(require_csrf)])
def update_type(
    request: Request, services: ServicesDep, login: LoggedIn, type_id: uuid.UUID, form: Form
) -> Response:
    choices = writable_calendars(services, login.host_id)
    with unit_of_work(services.session_factory) as session:
        host = login_host(session, login)
        booking_type = own_type(session, host, type_id)
        errors = _update(session, booking_type, form, choices)
        if errors is None:
            flash(request, f"Booking type “{booking_type.title}” saved.")
            return RedirectResponse(f"/dashboard/types/{booking_type.id}", status_code=303)
        return _form_page(
            request,
            host,
            values=form,
            choices=choices,
            booking_type=booking_type,
            errors=errors,
            status_code=400,
        )


def _update(
    session: Session, booking_type: BookingType, form: FormValues, choices: CalendarChoices
) -> FieldErrors | None:
    """Apply the form to the type; the form's errors, or None when it was saved."""
    previous_calendar = booking_type.calendar_id
    try:
        data = _validated(form, choices)
        booking_types.update_booking_type(session, booking_type, data)
        session.flush()
    except FormInvalidError as invalid:
        return invalid.errors
    except ConflictError as conflict:
        return {"slug": conflict.message}
    if booking_type.calendar_id != previous_calendar:
        # Bookings parked because the old calendar was gone or read-only retry there.
        resume_parked(session, host_id=booking_type.host_id, park_codes=RESUMED_ON_CALENDAR)
    return None
