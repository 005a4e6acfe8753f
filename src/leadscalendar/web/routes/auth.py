"""Host log-in and log-out."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts import service as accounts
from leadscalendar.accounts import sessions as host_sessions
from leadscalendar.accounts.errors import InvalidCredentialsError
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only, unit_of_work
from leadscalendar.ratelimits import Decision
from leadscalendar.services import Services
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import onboarding
from leadscalendar.web.deps import NONCE_KEY, SESSION_TOKEN_KEY, DbSession, ServicesDep
from leadscalendar.web.rate_limit import RateLimits, client_key, get_rate_limits
from leadscalendar.web.templating import templates

router = APIRouter()

TOO_MANY_FAILURES = (
    "Too many failed log-ins for this e-mail from your network. "
    "Please wait a few minutes before trying again."
)
TOO_MANY_FROM_NETWORK = (
    "Too many failed log-ins from your network. Please wait a few minutes before trying again."
)


def _safe_next(next_path: str) -> str:
    # Only local paths: an open redirect would turn the login page into a phishing aid.
    if next_path.startswith("/") and not next_path.startswith("//"):
        return next_path
    return "/dashboard"


@router.get("/login")
def login_page(request: Request, next: str = "/dashboard") -> Response:
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next)})


def _refused(request: Request, email: str, next: str, message: str, decision: Decision) -> Response:
    return templates.TemplateResponse(
        request,
        "login.html",
        {"error": message, "email": email, "next": _safe_next(next)},
        status_code=429,
        headers={"Retry-After": str(decision.retry_after_seconds)},
    )


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(
    request: Request,
    services: ServicesDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    limits: Annotated[RateLimits, Depends(get_rate_limits)],
    next: Annotated[str, Form()] = "/dashboard",
) -> Response:
    """Limits, then the password (a read), then the limits again, then the session (a write).

    The limits write in transactions of their own; no transaction of this
    request is open while they do (on SQLite it would hold the one write lock).
    """
    # Every attempt takes its place in the windows before the password is checked,
    # atomically and in a store all processes share: thirty guesses sent at once are
    # ten tries. Per address and e-mail (a guesser is stopped without locking the host
    # out from everywhere), and per address alone (one network trying many e-mails).
    address = client_key(request)
    pair_key = f"{address} {email.strip().lower()}"
    pair = limits.failed_logins.hit(pair_key)
    if not pair.allowed:
        return _refused(request, email, next, TOO_MANY_FAILURES, pair)
    network = limits.failed_logins_per_address.hit(address)
    if not network.allowed:
        limits.failed_logins.release(pair_key, pair)
        return _refused(request, email, next, TOO_MANY_FROM_NETWORK, network)
    try:
        with read_only(services.read_session_factory) as session:
            host_id = accounts.authenticate(session, email=email, password=password).id
    except InvalidCredentialsError as error:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"error": error.message, "email": email, "next": _safe_next(next)},
            status_code=error.status_code,
        )
    # A success is no failure: it clears this e-mail's count and gives back its place
    # in the network's (not all of it: one account of one's own must not reset it).
    limits.failed_logins.reset(pair_key)
    limits.failed_logins_per_address.release(address, network)
    with unit_of_work(services.session_factory) as session:
        target = _start(request, session, services, host_id, next)
    return RedirectResponse(target, status_code=303)


def _start(
    request: Request, session: Session, services: Services, host_id: uuid.UUID, next: str
) -> str:
    """Start the server-side session and the cookie's; where the host goes next."""
    host = accounts_repository.get_host(session, host_id)
    if host is None:
        raise InvalidCredentialsError()
    started = host_sessions.start_session(
        session,
        host,
        user_agent=request.headers.get("user-agent", ""),
        now=utcnow(),
        max_idle=timedelta(seconds=services.settings.session_max_age_seconds),
    )
    # A fresh session on login: nothing from before (fixation) carries over.
    request.session.clear()
    request.session[SESSION_TOKEN_KEY] = started.token
    request.session[NONCE_KEY] = secrets.token_urlsafe(24)
    target = _safe_next(next)
    if target == "/dashboard" and onboarding.lands_on_setup(session, host):
        target = onboarding.SETUP_PATH
    return target


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, session: DbSession) -> Response:
    """End the session on the server: a copy of the cookie is logged out too."""
    token = request.session.get(SESSION_TOKEN_KEY)
    if isinstance(token, str):
        host_sessions.end_session(session, token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
