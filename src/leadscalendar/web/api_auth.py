"""Bearer API keys for ``/api/v1``: the host a request acts for, and request hygiene."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leadscalendar.accounts import api_keys
from leadscalendar.accounts.models import Host
from leadscalendar.db.base import utcnow
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.web.deps import DbSession

# auto_error=False: a missing header gets our 401 error body, not FastAPI's 403.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A host's API key, created on the dashboard: `Authorization: Bearer lc_...`.",
)


def get_api_host(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Host:
    if credentials is None:
        raise api_keys.InvalidApiKeyError()
    return api_keys.authenticate(session, credentials.credentials, utcnow())


ApiHost = Annotated[Host, Depends(get_api_host)]


class NulCharacterError(LeadsCalendarError):
    def __init__(self) -> None:
        super().__init__("Text may not contain NUL characters.")


async def reject_nul_characters(request: Request) -> None:
    """PostgreSQL cannot store NUL in text; refuse it up front as bad input, never a 500."""
    body = await request.body()
    if b"\\u0000" in body or b"\x00" in body or "%00" in request.url.query:
        raise NulCharacterError()
