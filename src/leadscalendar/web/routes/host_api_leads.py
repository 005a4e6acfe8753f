"""The host's JSON API, a lead's data on request: hand it over, or erase it.

The lead's address travels in the request body, never in a URL: URLs end up in
access logs and browser histories, which an erasure cannot reach.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials

from leadscalendar.accounts import api_keys
from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.db.base import utcnow
from leadscalendar.leads import service
from leadscalendar.leads.schemas import ErasureOut, LeadDataOut, LeadRequest
from leadscalendar.web.api_auth import ApiHost, bearer
from leadscalendar.web.api_schemas import error_responses
from leadscalendar.web.deps import DbSession

router = APIRouter(
    prefix="/api/v1/leads", tags=["host exports"], responses=error_responses(400, 401)
)


def api_actor(
    session: DbSession,
    host: ApiHost,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """Who is asking, for the audit log: the API key by its name and visible prefix."""
    key = (
        accounts_repository.get_api_key_by_hash(session, api_keys.hash_key(credentials.credentials))
        if credentials is not None
        else None
    )
    return f"API key {key.name!r} ({key.prefix}...)" if key is not None else "API key"


@router.post("/export")
def export_lead(session: DbSession, host: ApiHost, body: LeadRequest) -> LeadDataOut:
    """Everything stored about one lead (by e-mail) in your account: bookings, lead fields
    (name, e-mail, notes, guests, answers, source), timelines, mails sent to them and
    payment records. An address with no bookings gives an empty ``bookings`` list."""
    return service.export_lead(session, host, body.email, utcnow())


@router.post("/erase")
def erase_lead(
    session: DbSession,
    host: ApiHost,
    body: LeadRequest,
    actor: Annotated[str, Depends(api_actor)],
) -> ErasureOut:
    """Erase one lead (by e-mail) from your bookings, for good.

    Name, e-mail, notes, answers, guests and source become tombstones; mails
    still queued to the lead are cancelled; payment records keep only amounts,
    dates and provider ids; each Google event loses the lead's details and
    attendees (a calendar job, retried like any other). Erasing again finds
    nothing and answers ``bookings: 0``.
    """
    return service.erase_lead(session, host, body.email, actor=actor, now=utcnow())
