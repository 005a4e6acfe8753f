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
from leadscalendar.web.templating import templates

router = APIRouter()


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
    next: Annotated[str, Form()] = "/dashboard",
) -> Response:
    try:
        host = accounts.authenticate(session, email=email, password=password)
    except InvalidCredentialsError as error:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"error": error.message, "email": email, "next": _safe_next(next)},
            status_code=error.status_code,
        )
    # A fresh session on login: nothing from before (fixation) carries over.
    request.session.clear()
    request.session[HOST_ID_KEY] = str(host.id)
    request.session[NONCE_KEY] = secrets.token_urlsafe(24)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
