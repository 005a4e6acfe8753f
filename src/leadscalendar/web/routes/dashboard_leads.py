"""A lead's data on the dashboard: download it as JSON, or erase it after typing the address.

Every step is a POST: the lead's address is never in a URL (access logs,
browser history). Erasing asks first, with what it will do and how many
bookings it touches, and only goes ahead when the address is typed again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.accounts.models import Host
from leadscalendar.db.base import utcnow
from leadscalendar.leads import repository, service
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard.common import form_values, render
from leadscalendar.web.dashboard.forms import FormValues
from leadscalendar.web.deps import CurrentHost, DbSession, ReadDbSession, ReadHost
from leadscalendar.web.downloads import json_attachment
from leadscalendar.web.routes.dashboard import flash

router = APIRouter(prefix="/dashboard/leads", tags=["dashboard"])

Form = Annotated[FormValues, Depends(form_values)]
MAX_EMAIL = 320


def _email(form: FormValues, name: str = "email") -> str:
    return form.get(name, "").strip()[:MAX_EMAIL]


def _page(request: Request, session: DbSession, host: Host, status_code: int = 200) -> Response:
    return render(
        request,
        "dashboard/leads.html",
        host,
        {"section": "leads", "erasures": repository.erasures_of(session, host.id)},
        status_code=status_code,
    )


@router.get("")
def leads_page(request: Request, session: ReadDbSession, host: ReadHost) -> Response:
    return _page(request, session, host)


@router.post("/export", dependencies=[Depends(require_csrf)])
def export_lead(request: Request, session: DbSession, host: CurrentHost, form: Form) -> Response:
    email = _email(form)
    if not email:
        flash(request, "Enter the lead's e-mail address.", "error")
        return RedirectResponse("/dashboard/leads", status_code=303)
    data = service.export_lead(session, host, email, utcnow())
    return json_attachment(data.model_dump(mode="json"), "lead-data.json")


@router.post("/erase/confirm", dependencies=[Depends(require_csrf)])
def confirm_erase(request: Request, session: DbSession, host: CurrentHost, form: Form) -> Response:
    """Ask first: how many bookings, and what erasing does to them."""
    email = _email(form)
    if not email:
        flash(request, "Enter the lead's e-mail address.", "error")
        return RedirectResponse("/dashboard/leads", status_code=303)
    found = len(repository.bookings_of(session, host.id, email))
    return render(
        request,
        "dashboard/lead_erase.html",
        host,
        {"section": "leads", "email": email, "found": found, "error": ""},
    )


@router.post("/erase", dependencies=[Depends(require_csrf)])
def erase_lead(request: Request, session: DbSession, host: CurrentHost, form: Form) -> Response:
    email, typed = _email(form), _email(form, "confirm_email")
    if not email or typed.lower() != email.lower():
        found = len(repository.bookings_of(session, host.id, email)) if email else 0
        return render(
            request,
            "dashboard/lead_erase.html",
            host,
            {
                "section": "leads",
                "email": email,
                "found": found,
                "error": "The address you typed is not the lead's address; nothing was erased.",
            },
            status_code=422,
        )
    done = service.erase_lead(session, host, email, actor=f"{host.email} (dashboard)", now=utcnow())
    plural = "s" if done.bookings != 1 else ""
    flash(request, f"The lead's data was erased from {done.bookings} booking{plural}.")
    return RedirectResponse("/dashboard/leads", status_code=303)
