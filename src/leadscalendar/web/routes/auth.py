"""Host log-in and log-out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.errors import InvalidCredentialsError
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.deps import HOST_ID_KEY, NONCE_KEY, DbSession
from leadscalendar.web.rate_limit import RateLimits, client_key, get_rate_limits
from leadscalendar.web.templating import templates

router = APIRouter()

TOO_MANY_FAILURES = (
    "Too many failed log-ins for this e-mail from your network. "
    "Please wait a few minutes before trying again."
)


def _safe_next(next_path: str) -> str:
    # Only local paths: an open redirect would turn the login page into a phishing aid.
    if next_path.startswith("/") and not next_path.startswith("//"):
        return next_path
    return "/dashboard"


@router.get("/login")
def login_page(request: Request, next: str = "/dashboard") -> Response:
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next)})


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    limits: Annotated[RateLimits, Depends(get_rate_limits)],
    next: Annotated[str, Form()] = "/dashboard",
) -> Response:
    # Keyed by address and e-mail: a guesser is stopped without locking the host out
    # from everywhere. Checked before the password, so a blocked guesser learns nothing.
    throttle_key = (client_key(request), email.strip().lower())
    decision = limits.failed_logins.check(throttle_key)
    if not decision.allowed:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"error": TOO_MANY_FAILURES, "email": email, "next": _safe_next(next)},
            status_code=429,
            headers={"Retry-After": str(decision.retry_after_seconds)},
        )
    try:
        host = accounts.authenticate(session, email=email, password=password)
    except InvalidCredentialsError as error:
        limits.failed_logins.record(throttle_key)
        return templates.TemplateResponse(
            request,
            "login.html",
            {"error": error.message, "email": email, "next": _safe_next(next)},
            status_code=error.status_code,
        )
    limits.failed_logins.reset(throttle_key)
    # A fresh session on login: nothing from before (fixation) carries over.
    request.session.clear()
    request.session[HOST_ID_KEY] = str(host.id)
    request.session[NONCE_KEY] = secrets.token_urlsafe(24)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
