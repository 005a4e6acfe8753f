"""Request dependencies: the unit of work, the logged-in host, the shared services."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts import sessions as host_sessions
from leadscalendar.accounts.models import Host
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only, unit_of_work
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


@dataclass(frozen=True)
class Login:
    """Who is logged in, found before the route's own transaction begins: ids, no rows.

    A route that calls Google between units of work takes this instead of
    ``CurrentHost`` and loads the host in each unit it opens.
    """

    host_id: uuid.UUID
    session_id: uuid.UUID


def get_login(request: Request, services: ServicesDep) -> Login:
    """The cookie's server-side session, read on a read-only session of its own.

    A page view stays a read: the visit is written down at most once per
    ``session_seen_interval_seconds``, in a short unit of work of its own, and
    an idle session's row is deleted the same way. Both end before the route's
    session begins, so on SQLite neither waits for the route's lock nor holds it.
    """
    token = request.session.get(SESSION_TOKEN_KEY)
    if not isinstance(token, str):
        raise LoginRequiredError()
    now = utcnow()
    settings = services.settings
    max_idle = timedelta(seconds=settings.session_max_age_seconds)
    with read_only(services.read_session_factory) as session:
        row = accounts_repository.get_session_by_hash(session, host_sessions.hash_token(token))
    if row is None or host_sessions.is_idle(row, now=now, max_idle=max_idle):
        if row is not None:
            with unit_of_work(services.session_factory) as session:
                host_sessions.end_idle_session(session, row.id, idle_since=now - max_idle)
        request.session.clear()
        raise LoginRequiredError()
    every = timedelta(seconds=settings.session_seen_interval_seconds)
    if host_sessions.seen_is_due(row, now=now, every=every):
        with unit_of_work(services.session_factory) as session:
            host_sessions.record_seen(session, row.id, now=now)
    return Login(host_id=row.host_id, session_id=row.id)


LoggedIn = Annotated[Login, Depends(get_login)]


def login_host(session: Session, login: Login) -> Host:
    """The logged-in host in ``session`` (a route's own unit of work); gone: log in again."""
    host = accounts_repository.get_host(session, login.host_id)
    if host is None:
        raise LoginRequiredError()
    return host


def _host(request: Request, session: Session, login: Login) -> Host:
    try:
        return login_host(session, login)
    except LoginRequiredError:
        request.session.clear()
        raise


def get_current_host(request: Request, login: LoggedIn, session: DbSession) -> Host:
    """The logged-in host, in the request's unit of work (for routes that write)."""
    return _host(request, session, login)


def get_read_host(request: Request, login: LoggedIn, session: ReadDbSession) -> Host:
    """The logged-in host on the request's read-only session (pages that only show)."""
    return _host(request, session, login)


CurrentHost = Annotated[Host, Depends(get_current_host)]
ReadHost = Annotated[Host, Depends(get_read_host)]
# The login itself, e.g. to keep this browser's session when ending the others.
CurrentSession = LoggedIn


def session_nonce(request: Request) -> str:
    """A random value fixed for this login session; OAuth states are bound to it."""
    nonce = request.session.get(NONCE_KEY)
    if not isinstance(nonce, str):
        raise LoginRequiredError()
    return nonce
