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
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.bookings import repository as bookings_repository
from leadscalendar.db.session import read_only, unit_of_work
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
P = TypeVar("P")


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


class SessionFactories(Protocol):
    """Where units of work come from (``Services`` is one): writes, and reads without a lock."""

    @property
    def session_factory(self) -> sessionmaker[Session]: ...

    @property
    def read_session_factory(self) -> sessionmaker[Session]: ...


class _AnsweredByTwin(Exception):  # noqa: N818 - a signal, not a failure
    """Raised inside the write unit so that it rolls back: a twin's answer stands instead."""

    def __init__(self, stored: service.StoredResponse) -> None:
        super().__init__("answered by a twin request")
        self.stored = stored


def _replayed(stored: service.StoredResponse) -> Answer:
    return Answer(stored.status_code, stored.body, replayed=True)


def _look_up(
    units: SessionFactories, host_id: uuid.UUID, request: IdempotentRequest
) -> service.StoredResponse | None:
    with read_only(units.read_session_factory) as session:
        return service.replay(session, host_id, request)


def _record(
    session: Session, host_id: uuid.UUID, request: IdempotentRequest, result: service.StoredResponse
) -> None:
    """Store the answer in the write unit, under the host's lock; a twin's first answer wins."""
    bookings_repository.lock_host(session, host_id)
    recorded = service.record(session, host_id, request, result)
    if recorded is not result:
        raise _AnsweredByTwin(recorded)


def answer_once(
    units: SessionFactories,
    host_id: uuid.UUID,
    request: IdempotentRequest | None,
    *,
    status_code: int,
    prepare: Callable[[], P],
    write: Callable[[Session, P], BaseModel],
) -> Answer:
    """Do the work once per key, in phases, and store its answer with the work itself.

    Phases, none holding a transaction across the next: look the key up (a
    read), ``prepare`` (its own reads and calls out, e.g. Google free/busy),
    then one unit of work in which ``write`` does the work and the answer is
    recorded. Two first attempts with one key can both get past the look-up;
    whichever records second, under the host's lock, rolls its unit back and
    answers with the first one's response. If it failed instead (the twin
    took its slot first), the twin's response is its answer too.
    """
    if request is not None and (stored := _look_up(units, host_id, request)) is not None:
        return _replayed(stored)
    try:
        plan = prepare()
        with unit_of_work(units.session_factory) as session:
            result = service.StoredResponse(
                status_code, write(session, plan).model_dump(mode="json")
            )
            if request is not None:
                _record(session, host_id, request, result)
    except _AnsweredByTwin as answered:
        return _replayed(answered.stored)
    except IdempotencyKeyReusedError:
        raise
    except LeadsCalendarError:
        twin = _look_up(units, host_id, request) if request is not None else None
        if twin is None:
            raise
        return _replayed(twin)
    return Answer(result.status_code, result.body, replayed=False)


def run_idempotent(
    units: SessionFactories,
    host_id: uuid.UUID,
    request: IdempotentRequest | None,
    *,
    status_code: int,
    write: Callable[[Session], BaseModel],
) -> JSONResponse:
    """One-phase work as a JSON response, marked ``Idempotent-Replayed`` when replayed."""
    answer = answer_once(
        units,
        host_id,
        request,
        status_code=status_code,
        prepare=lambda: None,
        write=lambda session, _nothing: write(session),
    )
    return answer.json()
