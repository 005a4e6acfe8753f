"""Password reset by e-mail: ``/forgot-password`` and ``/reset-password``.

"Forgot password" answers the same page whether or not the address has an
account, and counts in the shared account-mail limits either way. The reset
link lives an hour and works once: the new password changes the hash it is
bound to (``accounts.tokens``), which also kills every older link, and every
session of the account ends.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadscalendar.accounts import registration
from leadscalendar.accounts.errors import AccountLinkError
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.notifications.account_mails import mail_password_reset
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard.common import form_values
from leadscalendar.web.dashboard.forms import FormValues
from leadscalendar.web.deps import DbSession, ServicesDep
from leadscalendar.web.rate_limit import (
    ACCOUNT_MAIL_LIMIT_MESSAGE,
    RateLimits,
    allow_account_mail,
    get_rate_limits,
)
from leadscalendar.web.routes.signup import page_message
from leadscalendar.web.templating import templates

router = APIRouter()

Form = Annotated[FormValues, Depends(form_values)]
Limits = Annotated[RateLimits, Depends(get_rate_limits)]


@router.get("/forgot-password")
def forgot_password_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "forgot_password.html", {"email": ""})


@router.post("/forgot-password", dependencies=[Depends(require_csrf)])
def forgot_password(request: Request, session: DbSession, limits: Limits, form: Form) -> Response:
    email = form.get("email", "").strip()[:320]
    decision = allow_account_mail(limits, request, email)
    if not decision.allowed:
        return templates.TemplateResponse(
            request,
            "forgot_password.html",
            {"email": email, "error": ACCOUNT_MAIL_LIMIT_MESSAGE},
            status_code=429,
            headers={"Retry-After": str(decision.retry_after_seconds)},
        )
    host = registration.find_for_reset(session, email)
    if host is not None:
        mail_password_reset(session, host)
    return page_message(
        request,
        "Check your inbox",
        f"If {email} belongs to an account, a link to choose a new password is on its way. "
        "It works for one hour.",
        ("/login", "Back to log in"),
    )


def _reset_form(request: Request, token: str, error: str = "", status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        "reset_password.html",
        {"token": token, "error": error},
        status_code=status_code,
    )


@router.get("/reset-password")
def reset_password_page(
    request: Request, session: DbSession, services: ServicesDep, token: str = ""
) -> Response:
    registration.check_reset_link(session, services.account_links, token)
    return _reset_form(request, token)


@router.post("/reset-password", dependencies=[Depends(require_csrf)])
def reset_password(
    request: Request, session: DbSession, services: ServicesDep, form: Form
) -> Response:
    token = form.get("token", "")
    password = form.get("password", "")
    if password != form.get("password_again", ""):
        registration.check_reset_link(session, services.account_links, token)
        return _reset_form(request, token, "The two passwords are not the same.", 400)
    try:
        registration.reset_password(session, services.account_links, token, password)
    except AccountLinkError:
        raise
    except LeadsCalendarError as error:
        return _reset_form(request, token, error.message, error.status_code)
    # Whoever had this browser's session is logged out with the rest.
    request.session.clear()
    return page_message(
        request,
        "Password changed",
        "Your new password is set, and every session of your account was logged out.",
        ("/login", "Log in"),
    )
