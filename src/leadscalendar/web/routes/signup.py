"""Sign-up and e-mail verification: ``/signup``, ``/verify-email``.

A new host can log in at once (to set up hours, types and Google) and sees a
banner until the address is confirmed; leads cannot book an unverified host
(``booking_flow.find_booking_type``), so nobody can publish a booking page
under an address that is not theirs.

Sign-up never says whether an address has an account: the page says "check
your inbox" either way, and the mailbox gets either a verification link or
"you already have an account". Every attempt counts in the shared account-mail
limits (per e-mail and per client address) before anything is looked up.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.accounts import registration
from leadscalendar.accounts.service import check_new_host
from leadscalendar.availability.zone_names import UTC_NAME, canonical_zone, canonical_zone_names
from leadscalendar.db.session import read_only, unit_of_work
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.notifications.account_mails import (
    mail_account_exists,
    mail_verification,
)
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import onboarding
from leadscalendar.web.dashboard.common import form_values
from leadscalendar.web.dashboard.forms import FormValues
from leadscalendar.web.deps import DbSession, LoggedIn, ServicesDep, login_host
from leadscalendar.web.host_slugs import is_reserved
from leadscalendar.web.rate_limit import (
    ACCOUNT_MAIL_LIMIT_MESSAGE,
    RateLimits,
    allow_account_mail,
    get_rate_limits,
)
from leadscalendar.web.routes.dashboard import flash
from leadscalendar.web.templating import templates

router = APIRouter()

Form = Annotated[FormValues, Depends(form_values)]
Limits = Annotated[RateLimits, Depends(get_rate_limits)]
MAX_SLUG = 64


def propose_slug(name: str) -> str:
    """``"Dr. Lena Müller"`` -> ``"dr-lena-muller"``: the page address a name suggests."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:MAX_SLUG].strip("-")


def page_message(
    request: Request, title: str, message: str, link: tuple[str, str], status_code: int = 200
) -> Response:
    """A page that only says something (check your inbox, confirmed, deleted)."""
    return templates.TemplateResponse(
        request,
        "account_message.html",
        {"title": title, "message": message, "link_href": link[0], "link_text": link[1]},
        status_code=status_code,
    )


def _form_page(
    request: Request, form: dict[str, str], error: str = "", status_code: int = 200
) -> Response:
    return templates.TemplateResponse(
        request,
        "signup.html",
        {"form": form, "error": error, "zones": sorted(canonical_zone_names())},
        status_code=status_code,
    )


@router.get("/signup")
def signup_page(request: Request) -> Response:
    return _form_page(request, {"timezone": UTC_NAME})


def _fields(form: FormValues) -> dict[str, str]:
    name = form.get("name", "").strip()
    zone = canonical_zone(form.get("timezone", "")) or UTC_NAME
    return {
        "name": name,
        "email": form.get("email", "").strip(),
        "slug": form.get("slug", "").strip().lower() or propose_slug(name),
        "timezone": zone,
    }


def _check_in_inbox(request: Request, email: str) -> Response:
    return page_message(
        request,
        "Check your inbox",
        f"We sent a message to {email}. Follow its link to confirm your address, then log in.",
        ("/login", "Log in"),
    )


@router.post("/signup", dependencies=[Depends(require_csrf)])
def signup(request: Request, session: DbSession, limits: Limits, form: Form) -> Response:
    fields = _fields(form)
    password = form.get("password", "")
    try:
        check_new_host(password=password, **fields)
        if is_reserved(fields["slug"]):
            raise LeadsCalendarError(
                f"The page address {fields['slug']!r} is reserved. Please choose another."
            )
    except LeadsCalendarError as error:
        return _form_page(request, fields, error.message, status_code=400)
    # Before any query: on SQLite the limits' own transactions must not wait on ours.
    decision = allow_account_mail(limits, request, fields["email"])
    if not decision.allowed:
        response = _form_page(request, fields, ACCOUNT_MAIL_LIMIT_MESSAGE, status_code=429)
        response.headers["Retry-After"] = str(decision.retry_after_seconds)
        return response
    try:
        result = registration.sign_up(session, password=password, **fields)
    except LeadsCalendarError as error:
        return _form_page(request, fields, error.message, status_code=error.status_code)
    if result.host.is_verified:
        mail_account_exists(session, result.host)
    else:
        # A second sign-up of an unconfirmed address gets a fresh link.
        mail_verification(session, result.host)
    return _check_in_inbox(request, fields["email"])


@router.get("/verify-email")
def verify_email(
    request: Request, session: DbSession, services: ServicesDep, token: str = ""
) -> Response:
    """Follow a verification (or e-mail change) link: it works once."""
    confirmed = registration.confirm_email(session, services.account_links, token)
    message = (
        f"Your e-mail address is now {confirmed.host.email}. Use it to log in from now on."
        if confirmed.previous_email
        else "Your e-mail address is confirmed. Leads can book you as soon as you publish "
        "a booking type."
    )
    # A new host goes on to set up the page; a changed address goes back to the dashboard.
    link = (
        ("/dashboard", "Go to your dashboard")
        if confirmed.previous_email
        else (onboarding.SETUP_PATH, "Set up your booking page")
    )
    return page_message(request, "E-mail confirmed", message, link)


@router.post("/verify-email/resend", dependencies=[Depends(require_csrf)])
def resend_verification(
    request: Request, services: ServicesDep, limits: Limits, login: LoggedIn
) -> Response:
    """Send the logged-in, unconfirmed host a fresh verification link.

    Read, count (the limits' own transactions, none of ours open), then send
    in a unit of work.
    """
    with read_only(services.read_session_factory) as session:
        host = login_host(session, login)
        verified, email = host.is_verified, host.email
    if verified:
        return RedirectResponse("/dashboard", status_code=303)
    decision = allow_account_mail(limits, request, email)
    if not decision.allowed:
        flash(request, ACCOUNT_MAIL_LIMIT_MESSAGE, "error")
        return RedirectResponse("/dashboard", status_code=303)
    with unit_of_work(services.session_factory) as session:
        mail_verification(session, login_host(session, login))
    flash(request, f"We sent a new confirmation link to {email}.")
    return RedirectResponse("/dashboard", status_code=303)
