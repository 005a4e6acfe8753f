"""The host's account: where they are logged in, "log out other sessions", password change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.accounts import service as accounts
from leadscalendar.accounts import sessions as host_sessions
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard.common import form_values, render
from leadscalendar.web.dashboard.forms import FormValues
from leadscalendar.web.deps import CurrentHost, CurrentSession, DbSession
from leadscalendar.web.routes.dashboard import flash

router = APIRouter(prefix="/dashboard/account", tags=["dashboard"])

ACCOUNT_PAGE = "/dashboard/account"
Form = Annotated[FormValues, Depends(form_values)]


def _ended(count: int) -> str:
    return f"{count} other session{'s' if count != 1 else ''}"


@router.get("")
def account(
    request: Request, session: DbSession, host: CurrentHost, current: CurrentSession
) -> Response:
    return render(
        request,
        "dashboard/account.html",
        host,
        {
            "section": "account",
            "sessions": host_sessions.list_sessions(session, host),
            "current_id": current.id,
        },
    )


@router.post("/sessions/end-others", dependencies=[Depends(require_csrf)])
def end_other_sessions(
    request: Request, session: DbSession, host: CurrentHost, current: CurrentSession
) -> Response:
    ended = host_sessions.end_other_sessions(session, host.id, keep=current.id)
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
            keep_session_id=current.id,
        )
    except LeadsCalendarError as error:
        flash(request, error.message, "error")
        return RedirectResponse(ACCOUNT_PAGE, status_code=303)
    flash(request, f"Password changed. Logged out {_ended(ended)}.")
    return RedirectResponse(ACCOUNT_PAGE, status_code=303)
