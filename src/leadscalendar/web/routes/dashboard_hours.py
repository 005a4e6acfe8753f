"""The host's working hours: weekly intervals, date overrides and time zone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.accounts.models import Host
from leadscalendar.availability.zone_names import canonical_zone_names
from leadscalendar.bookings import booking_types, repository
from leadscalendar.db.base import utcnow
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import hours_form, onboarding
from leadscalendar.web.dashboard.common import form_values, render
from leadscalendar.web.dashboard.forms import FieldErrors, FormInvalidError, FormValues
from leadscalendar.web.deps import CurrentHost, DbSession, ReadDbSession, ReadHost
from leadscalendar.web.routes.dashboard import flash

router = APIRouter(prefix="/dashboard/hours", tags=["dashboard"])

Form = Annotated[FormValues, Depends(form_values)]


def known_zones() -> frozenset[str]:
    """The zones a host may pick: canonical IANA names only (see ``zone_names``)."""
    return canonical_zone_names()


def _page(
    request: Request,
    host: Host,
    form: hours_form.HoursForm,
    errors: FieldErrors | None = None,
    status_code: int = 200,
    next_url: str | None = None,
) -> Response:
    return render(
        request,
        "dashboard/hours.html",
        host,
        {
            "form": form.padded(),
            "errors": errors or {},
            "weekdays": hours_form.WEEKDAYS,
            "zones": sorted(known_zones()),
            "next_url": next_url,
        },
        status_code=status_code,
    )


@router.get("")
def hours(
    request: Request, session: ReadDbSession, host: ReadHost, next: str | None = None
) -> Response:
    schedule = repository.get_schedule(session, host.id)
    form = hours_form.from_schedule(schedule, host.timezone)
    return _page(request, host, form, next_url=onboarding.next_url(next))


@router.post("", dependencies=[Depends(require_csrf)])
def save_hours(request: Request, session: DbSession, host: CurrentHost, form: Form) -> Response:
    posted = hours_form.from_values(form)
    try:
        data = hours_form.parse(posted, known_zones())
    except FormInvalidError as invalid:
        next_url = onboarding.next_url(form.get("next"))
        return _page(request, host, posted, invalid.errors, status_code=400, next_url=next_url)
    repository.lock_host(session, host.id)
    # The zone and the hours are read together by every slot computation.
    host.timezone = posted.timezone
    booking_types.set_schedule(session, host.id, data)
    # Saving the hours confirms the zone chosen with them.
    host.timezone_confirmed_at = host.timezone_confirmed_at or utcnow()
    flash(request, "Working hours saved.")
    return RedirectResponse(
        onboarding.return_to(form.get("next"), "/dashboard/hours"), status_code=303
    )
