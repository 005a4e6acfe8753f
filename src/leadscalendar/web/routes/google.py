"""Connecting, reconnecting and disconnecting the host's Google Calendar."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.google import service as google
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.deps import CurrentHost, DbSession, ServicesDep, session_nonce
from leadscalendar.web.routes.dashboard import flash

router = APIRouter()

DENIED_MESSAGE = (
    "You chose not to give LeadsCalendar access to Google Calendar, so nothing was "
    "connected. Leads cannot book you until you connect it."
)


@router.post("/dashboard/google/connect", dependencies=[Depends(require_csrf)])
def connect(
    request: Request, session: DbSession, services: ServicesDep, host: CurrentHost
) -> Response:
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
    session: DbSession,
    services: ServicesDep,
    host: CurrentHost,
    state: str | None = None,
    code: str | None = None,
    error: str | None = None,
) -> Response:
    verifier = google.consume_state(
        session, services.cipher, host=host, session_nonce=session_nonce(request), state=state
    )
    # Spend the state now, whatever happens next: a state works at most once.
    session.commit()
    if error is not None or not code:
        if error == "access_denied":
            flash(request, DENIED_MESSAGE, "warning")
        else:
            flash(request, f"Google did not connect the calendar ({error or 'no code'}).", "error")
        return RedirectResponse("/dashboard", status_code=303)
    connection = google.finish_connect(
        session,
        services.settings,
        services.cipher,
        host=host,
        code=code,
        code_verifier=verifier,
    )
    if connection.missing_scopes:
        flash(request, "Google Calendar is connected, but some permissions are missing.", "warning")
    else:
        flash(request, f"Google Calendar connected as {connection.google_email or 'your account'}.")
    return RedirectResponse("/dashboard", status_code=303)


@router.post("/dashboard/google/disconnect", dependencies=[Depends(require_csrf)])
def disconnect(
    request: Request, session: DbSession, services: ServicesDep, host: CurrentHost
) -> Response:
    result = google.disconnect(session, services.settings, services.cipher, host_id=host.id)
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
