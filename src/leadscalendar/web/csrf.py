"""CSRF protection: a per-session synchronizer token checked on every form POST.

Session cookies are SameSite=Lax already; the token closes the remaining gaps
(same-site subdomains, old browsers) at the cost of one hidden field per form.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Form, Request

from leadscalendar.errors import LeadsCalendarError

SESSION_KEY = "csrf"


class CsrfError(LeadsCalendarError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "This form has expired or did not come from LeadsCalendar. "
            "Reload the page and try again."
        )


def csrf_token(request: Request) -> str:
    """The session's token, created on first use; templates put it in every form."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def require_csrf(request: Request, csrf_token: str = Form("")) -> None:
    """Dependency for every state-changing form route."""
    expected = request.session.get(SESSION_KEY)
    if not isinstance(expected, str) or not hmac.compare_digest(expected, csrf_token):
        raise CsrfError()
