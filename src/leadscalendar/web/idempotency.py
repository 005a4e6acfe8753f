"""The ``Idempotency-Key`` header of the host API's creating requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.bookings import repository as bookings_repository
from leadscalendar.idempotency import service

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


def run_idempotent(
    session: Session,
    host: Host,
    key: str | None,
    *,
    method: str,
    path: str,
    body: BaseModel,
    status_code: int,
    produce: Callable[[], BaseModel],
) -> JSONResponse:
    """Run ``produce`` once per key; the host's row lock serialises concurrent retries."""
    if key is None:
        return JSONResponse(produce().model_dump(mode="json"), status_code=status_code)
    fingerprint = service.request_hash(method, path, body.model_dump(mode="json"))
    bookings_repository.lock_host(session, host.id)
    stored = service.replay(session, host.id, key, fingerprint)
    if stored is not None:
        return JSONResponse(
            stored.body, status_code=stored.status_code, headers={REPLAYED_HEADER: "true"}
        )
    result = service.StoredResponse(status_code, produce().model_dump(mode="json"))
    # ``produce`` may have ended the transaction (and the lock) to call Google: lock again.
    bookings_repository.lock_host(session, host.id)
    recorded = service.record(session, host.id, key, fingerprint, result)
    headers = {REPLAYED_HEADER: "true"} if recorded is not result else {}
    return JSONResponse(recorded.body, status_code=recorded.status_code, headers=headers)
