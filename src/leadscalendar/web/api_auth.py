"""Bearer API keys for ``/api/v1``: the host a request acts for.

Request hygiene (control characters, sizes, ranges) is the input layer's job:
``leadscalendar.inputs`` and ``web.request_limits``, the same for every surface.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leadscalendar.accounts import api_keys
from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts.models import Host
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only, unit_of_work
from leadscalendar.web.deps import DbSession, ServicesDep

# auto_error=False: a missing header gets our 401 error body, not FastAPI's 403.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A host's API key, created on the dashboard: `Authorization: Bearer lc_...`.",
)


def get_api_host_id(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> uuid.UUID:
    """The key's host, found on a read-only session before the route's own transaction.

    A use is written down at most once a minute, in a unit of work of its own,
    so a route that calls Google or Stripe between units holds nothing open.
    """
    if credentials is None:
        raise api_keys.InvalidApiKeyError()
    now = utcnow()
    with read_only(services.read_session_factory) as session:
        key = api_keys.find_key(session, credentials.credentials)
    if api_keys.use_is_due(key, now):
        with unit_of_work(services.session_factory) as session:
            api_keys.record_use(session, key.id, now)
    return key.host_id


ApiHostId = Annotated[uuid.UUID, Depends(get_api_host_id)]


def get_api_host(host_id: ApiHostId, session: DbSession) -> Host:
    """The key's host in the request's unit of work (routes with one phase)."""
    host = accounts_repository.get_host(session, host_id)
    if host is None:
        raise api_keys.InvalidApiKeyError()
    return host


ApiHost = Annotated[Host, Depends(get_api_host)]
