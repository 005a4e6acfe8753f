"""Request dependencies: the unit of work, the logged-in host, the shared services."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts.models import Host
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.services import Services

HOST_ID_KEY = "host_id"
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


DbSession = Annotated[Session, Depends(get_db, scope="function")]
ServicesDep = Annotated[Services, Depends(get_services)]


def get_current_host(request: Request, session: DbSession) -> Host:
    raw_id = request.session.get(HOST_ID_KEY)
    if not isinstance(raw_id, str):
        raise LoginRequiredError()
    try:
        host_id = uuid.UUID(raw_id)
    except ValueError:
        request.session.clear()
        raise LoginRequiredError() from None
    host = accounts_repository.get_host(session, host_id)
    if host is None:
        request.session.clear()
        raise LoginRequiredError()
    return host


CurrentHost = Annotated[Host, Depends(get_current_host)]


def session_nonce(request: Request) -> str:
    """A random value fixed for this login session; OAuth states are bound to it."""
    nonce = request.session.get(NONCE_KEY)
    if not isinstance(nonce, str):
        raise LoginRequiredError()
    return nonce
