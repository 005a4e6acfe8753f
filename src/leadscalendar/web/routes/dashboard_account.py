"""The host's account: sessions, "log out other sessions", password and e-mail change,
and deleting the account (policy in ``bookings.account_deletion``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.accounts import registration
from leadscalendar.accounts import service as accounts
from leadscalendar.accounts import sessions as host_sessions
from leadscalendar.bookings.account_deletion import blocking_bookings, delete_account
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only, unit_of_work
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.notifications.account_mails import mail_email_change
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard.common import form_values, render
from leadscalendar.web.dashboard.forms import FormValues
from leadscalendar.web.deps import (
    CurrentHost,
    CurrentSession,
    DbSession,
    LoggedIn,
    ReadDbSession,
    ReadHost,
    ServicesDep,
    login_host,
)
from leadscalendar.web.rate_limit import (
    ACCOUNT_MAIL_LIMIT_MESSAGE,
    RateLimits,
    allow_account_mail,
    get_rate_limits,
)
from leadscalendar.web.routes.dashboard import flash
from leadscalendar.web.routes.signup import page_message

router = APIRouter(prefix="/dashboard/account", tags=["dashboard"])

ACCOUNT_PAGE = "/dashboard/account"
Form = Annotated[FormValues, Depends(form_values)]


def _ended(count: int) -> str:
    return f"{count} other session{'s' if count != 1 else ''}"


@router.get("")
def account(
    request: Request, session: ReadDbSession, host: ReadHost, current: CurrentSession
) -> Response:
    return render(
        request,
        "dashboard/account.html",
        host,
        {
            "section": "account",
            "sessions": host_sessions.list_sessions(session, host),
            "current_id": current.session_id,
        },
    )


@router.post("/sessions/end-others", dependencies=[Depends(require_csrf)])
def end_other_sessions(
    request: Request, session: DbSession, host: CurrentHost, current: CurrentSession
) -> Response:
    ended = host_sessions.end_other_sessions(session, host.id, keep=current.session_id)
    flash(request, f"Logged out {_ended(ended)}. This browser stays logged in.")
    return RedirectResponse(ACCOUNT_PAGE, status_code=303)


@router.post("/password", dependencies=[Depends(require_csrf)])
def change_password(
    request: Request,
    session: DbSession,
    host: CurrentHost,
    current: CurrentSession,
    form: Form,
) -> Response:
    new_password = form.get("new_password", "")
    if new_password != form.get("new_password_again", ""):
        flash(request, "The two new passwords are not the same; nothing was changed.", "error")
        return RedirectResponse(ACCOUNT_PAGE, status_code=303)
    try:
        ended = accounts.change_password(
            session,
            host,
            current_password=form.get("current_password", ""),
            new_password=new_password,
            keep_session_id=current.session_id,
        )
    except LeadsCalendarError as error:
        flash(request, error.message, "error")
        return RedirectResponse(ACCOUNT_PAGE, status_code=303)
    flash(request, f"Password changed. Logged out {_ended(ended)}.")
    return RedirectResponse(ACCOUNT_PAGE, status_code=303)


@router.post("/email", dependencies=[Depends(require_csrf)])
def change_email(
    request: Request,
    services: ServicesDep,
    login: LoggedIn,
    form: Form,
    limits: Annotated[RateLimits, Depends(get_rate_limits)],
) -> Response:
    """Send a link to the new address and tell the current one; nothing changes yet.

    Phases: check the request (a read), count the mail (the limits' own
    transactions, none of ours open), send it (a unit of work: mails are jobs).
    """
    try:
        with read_only(services.read_session_factory) as session:
            host = login_host(session, login)
            change = registration.request_email_change(
                session,
                host,
                password=form.get("current_password", ""),
                new_email=form.get("new_email", ""),
            )
    except LeadsCalendarError as error:
        flash(request, error.message, "error")
        return RedirectResponse(ACCOUNT_PAGE, status_code=303)
    decision = allow_account_mail(limits, request, change.new_email)
    if not decision.allowed:
        flash(request, ACCOUNT_MAIL_LIMIT_MESSAGE, "error")
        return RedirectResponse(ACCOUNT_PAGE, status_code=303)
    with unit_of_work(services.session_factory) as session:
        host = login_host(session, login)
        mail_email_change(session, host, change.new_email, taken=change.taken)
        current_email = host.email
    flash(
        request,
        f"We sent a confirmation link to {change.new_email}. Your address changes when you "
        f"follow it; until then you log in with {current_email}.",
    )
    return RedirectResponse(ACCOUNT_PAGE, status_code=303)


@router.get("/delete")
def delete_page(request: Request, session: ReadDbSession, host: ReadHost) -> Response:
    """What deleting the account does, and what stands in its way."""
    return render(
        request,
        "dashboard/delete_account.html",
        host,
        {"section": "account", "blocking": blocking_bookings(session, host, utcnow())},
    )


@router.post("/delete", dependencies=[Depends(require_csrf)])
def delete(request: Request, session: DbSession, host: CurrentHost, form: Form) -> Response:
    try:
        delete_account(session, host, password=form.get("current_password", ""), now=utcnow())
    except LeadsCalendarError as error:
        flash(request, error.message, "error")
        return RedirectResponse(f"{ACCOUNT_PAGE}/delete", status_code=303)
    request.session.clear()
    return page_message(
        request,
        "Your account is deleted",
        "You are logged out, your booking pages are gone and Google Calendar is being "
        "disconnected. Past bookings and their payments stay on record.",
        ("/signup", "Sign up again"),
    )
