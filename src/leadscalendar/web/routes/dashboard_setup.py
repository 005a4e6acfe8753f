"""The setup checklist a new host lands on: a few steps, each done on its own page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.availability.zone_names import canonical_zone_names
from leadscalendar.db.base import utcnow
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import onboarding, sharing
from leadscalendar.web.dashboard.common import render
from leadscalendar.web.deps import CurrentHost, DbSession, ReadDbSession, ReadHost, ServicesDep
from leadscalendar.web.routes.dashboard import flash

router = APIRouter(prefix=onboarding.SETUP_PATH, tags=["dashboard"])

UNKNOWN_ZONE = "Pick your time zone from the list."


@router.get("")
def setup(
    request: Request, session: ReadDbSession, services: ServicesDep, host: ReadHost
) -> Response:
    progress = onboarding.progress(session, host)
    return render(
        request,
        "dashboard/setup.html",
        host,
        {
            "section": "setup",
            "progress": progress,
            "steps": {step.key: step for step in progress.steps},
            "zones": sorted(canonical_zone_names()),
            "host_share": sharing.share(
                services.settings.public_url, f"/{host.slug}", "Book a time"
            ),
        },
    )


@router.post("/timezone", dependencies=[Depends(require_csrf)])
def confirm_timezone(
    request: Request,
    session: DbSession,
    host: CurrentHost,
    timezone: Annotated[str, Form()] = "",
) -> Response:
    """Keep the zone the host confirmed; slots and mails are shown in it."""
    if timezone not in canonical_zone_names():
        flash(request, UNKNOWN_ZONE, "error")
        return RedirectResponse(onboarding.SETUP_PATH, status_code=303)
    host.timezone = timezone
    host.timezone_confirmed_at = utcnow()
    flash(request, f"Your time zone is {timezone}.")
    return RedirectResponse(onboarding.SETUP_PATH, status_code=303)


@router.post("/dismiss", dependencies=[Depends(require_csrf)])
def dismiss(request: Request, session: DbSession, host: CurrentHost) -> Response:
    """Skip for now: no more landing on the checklist; the dashboard still links to it."""
    host.onboarding_dismissed_at = utcnow()
    flash(request, "Setup skipped for now. You can return to it from your dashboard.")
    return RedirectResponse("/dashboard", status_code=303)
