"""Bearer API keys for ``/api/v1``: the host a request acts for.

Request hygiene (control characters, sizes, ranges) is the input layer's job:
``leadscalendar.inputs`` and ``web.request_limits``, the same for every surface.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leadscalendar.accounts import api_keys
from leadscalendar.accounts.models import Host
from leadscalendar.db.base import utcnow
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
