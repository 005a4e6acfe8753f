"""The host's dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.accounts import api_keys
from leadscalendar.bookings import calendar_decisions, host_views
from leadscalendar.calendar_sync import service as calendar_sync
from leadscalendar.db.base import utcnow
from leadscalendar.google import repository as google_repository
from leadscalendar.google.models import ConnectionStatus
from leadscalendar.google.scopes import SCOPE_PURPOSES
from leadscalendar.web.dashboard import onboarding
from leadscalendar.web.deps import ReadDbSession, ReadHost
from leadscalendar.web.templating import templates

router = APIRouter()

NOTICE_KEY = "notice"


def flash(request: Request, message: str, level: str = "info") -> None:
    request.session[NOTICE_KEY] = {"message": message, "level": level}


@router.get("/")
def home() -> Response:
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/dashboard")
def dashboard(request: Request, session: ReadDbSession, host: ReadHost) -> Response:
    connection = google_repository.get_connection(session, host.id)
    missing = connection.missing_scopes if connection else ()
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "host": host,
            "connection": connection,
            "needs_reauth": bool(connection and connection.status is ConnectionStatus.NEEDS_REAUTH),
            "missing_purposes": [SCOPE_PURPOSES[scope] for scope in missing],
            "granted_purposes": [
                purpose
                for scope, purpose in SCOPE_PURPOSES.items()
                if connection and scope in connection.granted_scope_set
            ],
            "notice": request.session.pop(NOTICE_KEY, None),
            "parked_count": host_views.count_parked(session, host.id),
            "api_keys": api_keys.list_api_keys(session, host),
            "setup": onboarding.progress(session, host),
            "calendar_changes": calendar_decisions.pending_bookings(session, host.id, utcnow()),
            "calendar_syncs": calendar_sync.host_status(session, host.id, utcnow()),
        },
    )
