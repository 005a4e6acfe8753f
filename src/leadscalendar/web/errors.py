"""One renderer for every failure: JSON under ``/api``, a page everywhere else.

Nobody ever sees a stack trace: unexpected errors are logged and shown as a
generic 500 page.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from leadscalendar.errors import LeadsCalendarError, RateLimitedError
from leadscalendar.web import host_slugs, human_errors
from leadscalendar.web.deps import LoginRequiredError
from leadscalendar.web.security_headers import apply_security_headers
from leadscalendar.web.templating import templates

logger = logging.getLogger(__name__)

GENERIC_500 = "Something went wrong on our side. It has been logged; please try again."
DATABASE_DOWN = "We are briefly unable to take bookings. Please try again in a minute."
RETRY_AFTER_SECONDS = 30
HOST_PREFIXES = ("/dashboard", "/oauth/", "/login", "/logout", "/account")
# /{host}/{type} and its /book form: a lead's way back is the booking page.
BOOKING_PAGE_PATH = re.compile(r"^/(?:embed/)?(?P<host>[a-z0-9-]+)/(?P<type>[a-z0-9-]+)(?:/book)?$")


def _wants_json(request: Request) -> bool:
    # Webhook senders are machines too: they get JSON, never an HTML page.
    return request.url.path.startswith(("/api/", "/webhooks/"))


def render_error(
    request: Request,
    status_code: int,
    message: str,
    code: str,
    details: dict[str, object] | None = None,
) -> Response:
    """The one error body: ``{"error": {"code", "message", ...details}}`` or a page."""
    if _wants_json(request):
        body = {"code": code, "message": message, **(details or {})}
        return JSONResponse({"error": body}, status_code=status_code)
    back_url, back_label = _way_back(request.url.path)
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "message": message,
            "status_code": status_code,
            "details": details or {},
            "back_url": back_url,
            "back_label": back_label,
        },
        status_code=status_code,
    )


def _way_back(path: str) -> tuple[str | None, str]:
    """Where the error page sends its reader: leads back to the booking page, never the
    dashboard (they have no account), hosts to the dashboard."""
    if path.startswith(HOST_PREFIXES):
        return "/dashboard", "Back to the dashboard"
    booking_page = BOOKING_PAGE_PATH.match(path)
    if booking_page and not host_slugs.is_reserved(booking_page["host"]):
        return f"/{booking_page['host']}/{booking_page['type']}", "Back to the booking page"
    return None, ""


def _error_code(error: LeadsCalendarError) -> str:
    name = type(error).__name__.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_") or "error"


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LeadsCalendarError)
    if isinstance(exc, LoginRequiredError) and not _wants_json(request):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    response = render_error(request, exc.status_code, exc.message, _error_code(exc), exc.details())
    if isinstance(exc, RateLimitedError):
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not _wants_json(request):
        # A person reads this page: sentences, never pydantic's wording.
        return render_error(request, 400, human_errors.summary(exc.errors()), "invalid_input")
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        problems.append(f"{field}: {error.get('msg', 'invalid')}")
    message = "Please check your input. " + "; ".join(problems)
    return render_error(request, 400, message, "invalid_input")


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "There is nothing at this address.", 405: "That action is not allowed here."}
    message = messages.get(exc.status_code, str(exc.detail))
    return render_error(request, exc.status_code, message, f"http_{exc.status_code}")


async def _on_database_unavailable(request: Request, exc: Exception) -> Response:
    """The database is down, restarting or out of connections: a 503 to retry, not a 500.

    Only the error's type is logged: its text names the database server.
    """
    logger.warning(
        "database unavailable on %s %s (%s)", request.method, request.url.path, type(exc).__name__
    )
    response = render_error(request, 503, DATABASE_DOWN, "service_unavailable")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def _on_unexpected_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    response = render_error(request, 500, GENERIC_500, "internal_error")
    # Sent by Starlette's outermost middleware, past SecurityHeadersMiddleware.
    apply_security_headers(request, response)
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LeadsCalendarError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    for unavailable in (OperationalError, InterfaceError, PoolTimeoutError):
        app.add_exception_handler(unavailable, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected_error)
