"""Request dependencies: the unit of work, the logged-in host, the shared services."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts import sessions as host_sessions
from leadscalendar.accounts.models import Host, HostSession
from leadscalendar.db.base import utcnow
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.services import Services

# The signed cookie names the server-side session (accounts.sessions) by a random
# token; which host it is, and whether it is still logged in, live in the database.
SESSION_TOKEN_KEY = "session_token"  # noqa: S105 - a cookie field name
NONCE_KEY = "nonce"


class LoginRequiredError(LeadsCalendarError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__("Please log in first.")


async def get_services(request: Request) -> Services:
    """Async only so FastAPI reads it on the event loop instead of hopping to a thread."""
    services: Services = request.app.state.services
    return services


def get_db(services: Annotated[Services, Depends(get_services)]) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back if it raises."""
    session = services.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_read_db(services: Annotated[Services, Depends(get_services)]) -> Iterator[Session]:
    """A read-only session for routes that only read: no write lock taken, none to commit.

    On SQLite a page view no longer queues behind other page views or behind a
    webhook's write; a write through it raises (``db.session.ReadOnlySessionError``).
    """
    session = services.read_session_factory()
    try:
        yield session
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db, scope="function")]
ReadDbSession = Annotated[Session, Depends(get_read_db, scope="function")]
ServicesDep = Annotated[Services, Depends(get_services)]


def _max_idle(services: Services) -> timedelta:
    return timedelta(seconds=services.settings.session_max_age_seconds)


def get_current_host(request: Request, session: DbSession, services: ServicesDep) -> Host:
    """The host of the request's server-side session; ended sessions are logged out."""
    token = request.session.get(SESSION_TOKEN_KEY)
    if not isinstance(token, str):
        raise LoginRequiredError()
    row = host_sessions.resolve_session(session, token, now=utcnow(), max_idle=_max_idle(services))
    host = accounts_repository.get_host(session, row.host_id) if row else None
    if row is None or host is None:
        request.session.clear()
        raise LoginRequiredError()
    request.state.host_session = row
    return host


CurrentHost = Annotated[Host, Depends(get_current_host)]


def current_session(request: Request, host: CurrentHost) -> HostSession:
    """The server-side session of the logged-in host (set by ``get_current_host``)."""
    row: HostSession = request.state.host_session
    return row


CurrentSession = Annotated[HostSession, Depends(current_session)]


def session_nonce(request: Request) -> str:
    """A random value fixed for this login session; OAuth states are bound to it."""
    nonce = request.session.get(NONCE_KEY)
    if not isinstance(nonce, str):
        raise LoginRequiredError()
    return nonce
