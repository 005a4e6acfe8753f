"""The host's setting for bookings whose event they move in Google Calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.accounts.models import CalendarMovePolicy
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.deps import CurrentHost
from leadscalendar.web.routes.dashboard import flash

router = APIRouter(prefix="/dashboard/calendar-follow", tags=["dashboard"])

SAVED = {
    CalendarMovePolicy.ASK: (
        "When you move a booking's event in Google Calendar, LeadsCalendar asks you first."
    ),
    CalendarMovePolicy.FOLLOW: (
        "When you move a booking's event in Google Calendar, the booking follows and the "
        "lead is told."
    ),
}


@router.post("", dependencies=[Depends(require_csrf)])
def set_move_policy(
    request: Request, host: CurrentHost, policy: Annotated[str, Form()] = ""
) -> Response:
    """Follow moves made in Google, or ask first; deletions always ask (see README)."""
    try:
        chosen = CalendarMovePolicy(policy)
    except ValueError:
        raise LeadsCalendarError("Choose whether bookings follow or ask first.", 400) from None
    host.calendar_move_policy = chosen
    flash(request, SAVED[chosen])
    return RedirectResponse("/dashboard", status_code=303)
