"""The ``Idempotency-Key`` of creating requests, one mechanism for every surface.

Each surface (public API, host API, booking pages) passes its own
``Surface``, so a key names only what that surface recorded; the request's
fingerprint is stored with the answer, so only an identical request gets it
back. The answer is stored as it was first given: a replay never shows more
than the first response did, whatever happened to the booking since.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from leadscalendar.bookings import repository as bookings_repository
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.idempotency import service
from leadscalendar.idempotency.models import Surface
from leadscalendar.idempotency.service import IdempotencyKeyReusedError, IdempotentRequest

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "Retrying with the same key and body returns the first response instead of "
            "doing the work twice; the same key with another body is refused (422)."
        ),
    ),
]
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool

    def json(self) -> JSONResponse:
        headers = {REPLAYED_HEADER: "true"} if self.replayed else {}
        return JSONResponse(self.body, status_code=self.status_code, headers=headers)

    def with_fields(self, **fields: Any) -> Answer:
        """The answer with fields added as it is sent, e.g. what must not be stored."""
        return replace(self, body={**self.body, **fields})


def keyed_request(
    surface: Surface, key: str | None, request: Request, body: BaseModel
) -> IdempotentRequest | None:
    """The keyed request as the idempotency store sees it; None when no key was sent."""
    if not key:
        return None
    return IdempotentRequest.of(
        surface,
        key,
        method=request.method,
        path=request.url.path,
        body=body.model_dump(mode="json"),
    )


def _replayed(stored: service.StoredResponse) -> Answer:
    return Answer(stored.status_code, stored.body, replayed=True)


def answer_once(
    session: Session,
    host_id: uuid.UUID,
    request: IdempotentRequest | None,
    *,
    status_code: int,
    produce: Callable[[], BaseModel],
) -> Answer:
    """Run ``produce`` once per key and store its answer; replay it to identical retries.

    ``produce`` may end transactions (a hold fetches Google free/busy between
    two), so two first attempts with one key can both get past the first
    look-up. Whichever records second, under the host's lock, drops its own
    work and answers with the first one's response; if it failed instead
    (the twin took its slot first), the twin's response is its answer too.
    """
    if request is None:
        return Answer(status_code, produce().model_dump(mode="json"), replayed=False)
    stored = service.replay(session, host_id, request)
    if stored is not None:
        return _replayed(stored)
    try:
        result = service.StoredResponse(status_code, produce().model_dump(mode="json"))
    except LeadsCalendarError:
        session.rollback()
        twin = service.replay(session, host_id, request)
        if twin is None:
            raise
        return _replayed(twin)
    bookings_repository.lock_host(session, host_id)
    try:
        recorded = service.record(session, host_id, request, result)
    except IdempotencyKeyReusedError:
        session.rollback()  # a twin with another body recorded first: undo this one's work
        raise
    if recorded is not result:
        session.rollback()  # this work duplicates the twin's: keep only the first
        return _replayed(recorded)
    return Answer(result.status_code, result.body, replayed=False)


def run_idempotent(
    session: Session,
    host_id: uuid.UUID,
    request: IdempotentRequest | None,
    *,
    status_code: int,
    produce: Callable[[], BaseModel],
) -> JSONResponse:
    """``answer_once`` as a JSON response, marked ``Idempotent-Replayed`` when replayed."""
    answer = answer_once(session, host_id, request, status_code=status_code, produce=produce)
    return respond(session, answer)


def respond(session: Session, answer: Answer) -> JSONResponse:
    """End the unit of work, then answer (see ``public_api._answer`` for why in this order)."""
    session.commit()
    return answer.json()
