"""Connecting, reconnecting and disconnecting the host's Google Calendar."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from leadscalendar.bookings import account_moves, host_views
from leadscalendar.bookings.park_codes import RESUMED_ON_CALENDAR, RESUMED_ON_CONNECT
from leadscalendar.calendar_sync import service as calendar_sync
from leadscalendar.calendar_sync.channels import stop_host_channels
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only, unit_of_work
from leadscalendar.google import repository as google_repository
from leadscalendar.google import service as google
from leadscalendar.google.calendar import CalendarInfo
from leadscalendar.google.errors import GoogleCalendarError, Operation, classify
from leadscalendar.google.exceptions import ReauthorizationRequiredError
from leadscalendar.google.models import GoogleConnection
from leadscalendar.jobs import resume_parked
from leadscalendar.services import Services
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import confirmations, onboarding
from leadscalendar.web.dashboard.common import render
from leadscalendar.web.deps import (
    CurrentHost,
    DbSession,
    LoggedIn,
    ReadDbSession,
    ReadHost,
    ServicesDep,
    login_host,
    session_nonce,
)
from leadscalendar.web.routes.dashboard import NOTICE_KEY, flash
from leadscalendar.web.templating import templates

logger = logging.getLogger(__name__)

router = APIRouter()

MOVES_PATH = "/dashboard/google/moves"

RETURN_KEY = "google_return"


DENIED_MESSAGE = (
    "You chose not to give LeadsCalendar access to Google Calendar, so nothing was "
    "connected. Leads cannot book you until you connect it."
)


@router.post("/dashboard/google/connect", dependencies=[Depends(require_csrf)])
def connect(
    request: Request,
    session: DbSession,
    services: ServicesDep,
    host: CurrentHost,
    next: str = Form(""),
) -> Response:
    # Where the callback returns (the setup checklist or the dashboard) survives the
    # trip through Google in the session, not in the URL Google sees.
    request.session[RETURN_KEY] = onboarding.return_to(next, "/dashboard")
    url = google.start_connect(
        session,
        services.settings,
        services.cipher,
        host=host,
        session_nonce=session_nonce(request),
    )
    return RedirectResponse(url, status_code=303)


@router.get("/oauth/google/callback")
def callback(
    request: Request,
    services: ServicesDep,
    login: LoggedIn,
    state: str | None = None,
    code: str | None = None,
    error: str | None = None,
) -> Response:
    """Spend the state (a unit), exchange the code at Google (none open), store (a unit)."""
    with unit_of_work(services.session_factory) as session:
        # Spent when this unit ends, whatever happens next: a state works at most once.
        verifier = google.consume_state(
            session,
            services.cipher,
            host=login_host(session, login),
            session_nonce=session_nonce(request),
            state=state,
        )
    after = onboarding.return_to(request.session.pop(RETURN_KEY, None), "/dashboard")
    if error is not None or not code:
        if error == "access_denied":
            flash(request, DENIED_MESSAGE, "warning")
        else:
            flash(request, f"Google did not connect the calendar ({error or 'no code'}).", "error")
        return RedirectResponse(after, status_code=303)
    grant = google.exchange_code(services.settings, code=code, code_verifier=verifier)
    with unit_of_work(services.session_factory) as session:
        connection, switched = _store_grant(request, session, services, login.host_id, grant)
    if switched:
        return RedirectResponse(MOVES_PATH, status_code=303)
    if connection.missing_scopes:
        flash(request, "Google Calendar is connected, but some permissions are missing.", "warning")
    else:
        flash(request, f"Google Calendar connected as {connection.google_email or 'your account'}.")
    return RedirectResponse(after, status_code=303)


def _store_grant(
    request: Request,
    session: Session,
    services: Services,
    host_id: uuid.UUID,
    grant: google.Grant,
) -> tuple[GoogleConnection, bool]:
    """The write phase of a connection: the grant, any account switch, resumed jobs."""
    before = google.identity_of(session, host_id=host_id)
    connection = google.store_grant(session, services.cipher, host_id=host_id, grant=grant)
    switched = before is not None and google.is_other_account(before, connection)
    if switched and before is not None:
        _move_to_new_account(request, session, before, connection)
    resumed = resume_parked(session, host_id=host_id, park_codes=RESUMED_ON_CONNECT)
    calendar_sync.plan_host(session, host_id)
    if resumed:
        logger.info("google.connect resumed %d parked jobs", resumed)
    return connection, switched


def _move_to_new_account(
    request: Request, session: Session, before: google.Identity, connection: GoogleConnection
) -> None:
    """Another account was chosen: queue its upcoming events' moves and say so."""
    retired = google.retire_grant(session, connection=connection, before=before)
    calendar_sync.forget_host(session, connection.host_id)
    moving = account_moves.enqueue_moves(session, retired, utcnow())
    # Nothing to move: the old account's tokens are not needed at all.
    account_moves.forget_grant_when_done(session, retired.id)
    logger.info("google.connect switched accounts; moving %d events", moving)
    flash(request, switched_message(before.google_email, connection.google_email, moving))


def switched_message(old: str | None, new: str | None, moving: int) -> str:
    plural = "booking's event is" if moving == 1 else "bookings' events are"
    return (
        f"Google Calendar is now connected as {new or 'another account'} instead of {old}. "
        f"{moving} upcoming {plural} moving to it."
    )


@router.get("/dashboard/google/reconnect")
def confirm_reconnect(request: Request, session: ReadDbSession, host: ReadHost) -> Response:
    """Before Google's page: which account is connected, and what choosing another does."""
    connection = google.get_connection(session, host_id=host.id)
    upcoming = account_moves.count_to_move(session, host.id, utcnow())
    return render(
        request,
        "dashboard/confirm.html",
        host,
        {"confirmation": confirmations.switch_account(connection.google_email, upcoming)},
    )


@router.get(MOVES_PATH)
def moves(request: Request, session: ReadDbSession, host: ReadHost) -> Response:
    """What the last account switch moved, is still moving, or left behind."""
    retired = google_repository.latest_retired_grant(session, host.id)
    lines = account_moves.moves_of(session, retired.id) if retired else []
    return render(
        request,
        "dashboard/moves.html",
        host,
        {"retired": retired, "lines": lines, "zone": host.timezone},
    )


@router.get("/dashboard/google/disconnect")
def confirm_disconnect(request: Request, session: ReadDbSession, host: ReadHost) -> Response:
    """Ask first: who loses what, and how many upcoming bookings are affected."""
    connection = google.get_connection(session, host_id=host.id)
    upcoming = host_views.count_upcoming_active(session, host.id, now=utcnow())
    return render(
        request,
        "dashboard/confirm.html",
        host,
        {"confirmation": confirmations.disconnect(connection.google_email, upcoming)},
    )


@router.post("/dashboard/google/disconnect", dependencies=[Depends(require_csrf)])
def disconnect(request: Request, services: ServicesDep, login: LoggedIn) -> Response:
    """Stop the push channels and revoke at Google (no transaction open), then forget.

    The channels are stopped while the grant still works; the connection's
    deletion then cascades to the sync rows.
    """
    with read_only(services.read_session_factory) as session:
        token = google.revocable_token(session, services.cipher, host_id=login.host_id)
    stop_host_channels(services.session_factory, services.calendars, login.host_id)
    result = google.revoke_at_google(services.settings, token)
    with unit_of_work(services.session_factory) as session:
        google.forget_connection(session, host_id=login.host_id)
    if result.revoked_at_google:
        flash(request, "Google Calendar disconnected and LeadsCalendar's access revoked.")
    else:
        flash(
            request,
            "Google Calendar disconnected here, but Google could not be reached to revoke "
            "access. You can remove LeadsCalendar at myaccount.google.com/permissions.",
            "warning",
        )
    return RedirectResponse("/dashboard", status_code=303)


def _calendars(services: Services, host_id: uuid.UUID) -> list[CalendarInfo]:
    """Every calendar of the host's calendar list, fresh from Google: call with none open.

    Credentials write (a refreshed token) in their own transaction; on SQLite an
    open transaction of the request would block them.
    """
    try:
        calendars = services.calendars.for_host(host_id).list_calendars()
    except ReauthorizationRequiredError:
        raise
    except Exception as error:
        raise GoogleCalendarError(classify(error, operation=Operation.CALENDAR_LIST)) from None
    return list(calendars)


@router.get("/dashboard/google/calendar")
def calendar_picker(
    request: Request,
    services: ServicesDep,
    login: LoggedIn,
    next: str | None = None,
) -> Response:
    """The calendars bookings may go to, to choose one, and the ones that count as busy."""
    listed = _calendars(services, login.host_id)
    calendars = [calendar for calendar in listed if calendar.writable]
    with read_only(services.read_session_factory) as session:
        host = login_host(session, login)
        connection = google.get_connection(session, host_id=host.id)
        return templates.TemplateResponse(
            request,
            "google_calendar.html",
            {
                "host": host,
                "calendars": calendars,
                "current": connection.calendar_id,
                # The primary always counts as busy; the others are the host's choice.
                "busy_choices": [calendar for calendar in listed if not calendar.primary],
                "busy": set(connection.busy_calendar_ids or []),
                "next_url": onboarding.next_url(next),
                "notice": request.session.pop(NOTICE_KEY, None),
            },
        )


@router.post("/dashboard/google/calendar", dependencies=[Depends(require_csrf)])
def choose_calendar(
    request: Request,
    services: ServicesDep,
    login: LoggedIn,
    calendar_id: str = Form(""),
    next: str = Form(""),
    busy: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Send bookings to another calendar, and retry the ones the old one refused."""
    listed = _calendars(services, login.host_id)
    calendars = {calendar.id: calendar for calendar in listed if calendar.writable}
    chosen = calendars.get(calendar_id)
    if chosen is None:
        flash(request, "Pick one of your calendars that LeadsCalendar may write to.", "error")
        picker = "/dashboard/google/calendar" + (
            onboarding.NEXT_QUERY if onboarding.next_url(next) else ""
        )
        return RedirectResponse(picker, status_code=303)
    known = {calendar.id for calendar in listed}
    with unit_of_work(services.session_factory) as session:
        google.choose_calendar(
            session,
            host_id=login.host_id,
            calendar_id=chosen.id,
            busy_calendar_ids=[calendar_id for calendar_id in busy or [] if calendar_id in known],
        )
        resume_parked(session, host_id=login.host_id, park_codes=RESUMED_ON_CALENDAR)
        # Watch the calendars now chosen, stop watching the ones dropped.
        calendar_sync.plan_host(session, login.host_id)
    flash(request, f"New bookings go to the calendar {chosen.summary}.")
    return RedirectResponse(onboarding.return_to(next, "/dashboard"), status_code=303)
