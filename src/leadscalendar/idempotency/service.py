"""Replay the first response of a request retried with the same ``Idempotency-Key``.

A key is looked up only within its host and its surface (public API, host
API, pages), so no caller can name a key another surface recorded. A stored
response is handed back only to a request with the same fingerprint (method,
path and canonical body): the same key with anything else is refused, so a
guessed or leaked key never returns someone else's answer, and a replay says
nothing the caller did not already send or get the first time.

Only successful responses are stored: a failed request changed nothing, so
its retry simply runs again. Callers look the key up before doing the work
and record the response after it, under the per-host lock; the unique
(host_id, surface, key) constraint backs this.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadscalendar.errors import LeadsCalendarError
from leadscalendar.idempotency import repository
from leadscalendar.idempotency.models import IdempotencyKey, Surface


class IdempotencyKeyReusedError(LeadsCalendarError):
    status_code = 422

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request; use a new key."
        )


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class IdempotentRequest:
    """A request that carries a key: where it came from, the key, and what it asks for."""

    surface: Surface
    key: str
    fingerprint: str

    @classmethod
    def of(
        cls, surface: Surface, key: str, *, method: str, path: str, body: object
    ) -> IdempotentRequest:
        return cls(surface, key, request_hash(method, path, body))


def request_hash(method: str, path: str, body: object) -> str:
    """A digest of what the request asks for; key order in the JSON body does not matter."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(
    session: Session, host_id: uuid.UUID, request: IdempotentRequest
) -> StoredResponse | None:
    """The stored response for this key, None if unused, 422 if used for another request."""
    stored = repository.get(session, host_id, request.surface, request.key)
    if stored is None:
        return None
    if stored.request_hash != request.fingerprint:
        raise IdempotencyKeyReusedError()
    return StoredResponse(stored.response_status, stored.response_body)


def record(
    session: Session,
    host_id: uuid.UUID,
    request: IdempotentRequest,
    response: StoredResponse,
) -> StoredResponse:
    """Store ``response`` for the key, or return the one a concurrent retry stored first."""
    earlier = replay(session, host_id, request)
    if earlier is not None:
        return earlier
    session.add(
        IdempotencyKey(
            host_id=host_id,
            surface=request.surface,
            key=request.key,
            request_hash=request.fingerprint,
            response_status=response.status_code,
            response_body=response.body,
        )
    )
    session.flush()
    return response


def prune(session: Session, *, created_before: datetime, limit: int) -> int:
    """Forget up to ``limit`` stored answers older than the cut-off; the count forgotten.

    A key exists for a client's retries of one request, which come within
    minutes (Stripe keeps its own keys for 24 hours): a later request with an
    old key is simply a new request.
    """
    ids = list(
        session.scalars(
            select(IdempotencyKey.id)
            .where(IdempotencyKey.created_at < created_before)
            .order_by(IdempotencyKey.created_at)
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(ids)))
    return len(ids)


def forget_answers_about(session: Session, host_id: uuid.UUID, ids: set[str]) -> int:
    """Forget the host's stored answers that name any of ``ids`` (a lead's erased bookings).

    Answers live for hours (``prune``), so scanning the host's rows is cheap;
    a client retrying after the erasure simply gets a new request run.
    """
    if not ids:
        return 0
    rows = session.execute(
        select(IdempotencyKey.id, IdempotencyKey.response_body).where(
            IdempotencyKey.host_id == host_id
        )
    ).all()
    doomed = [row_id for row_id, body in rows if any(i in json.dumps(body) for i in ids)]
    if doomed:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(doomed)))
    return len(doomed)
