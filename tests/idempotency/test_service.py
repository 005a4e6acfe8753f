"""Stored answers per (host, surface, key), given back only to an identical request."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.idempotency import service
from leadscalendar.idempotency.models import IdempotencyKey, Surface
from leadscalendar.idempotency.service import (
    IdempotencyKeyReusedError,
    IdempotentRequest,
    StoredResponse,
)

BODY = {"start": "2026-12-01T09:00:00+01:00", "lead": {"name": "Ann", "email": "ann@example.com"}}
PATH = "/api/v1/public/hosts/coach/types/intro/bookings"


def _host(session: Session, slug: str = "coach") -> Host:
    host = Host(email=f"{slug}@example.com", name="Coach", slug=slug, password_hash="-")
    session.add(host)
    session.flush()
    return host


def _request(surface: Surface, key: str = "k1", body: object = BODY) -> IdempotentRequest:
    return IdempotentRequest.of(surface, key, method="POST", path=PATH, body=body)


def test_an_identical_request_gets_the_stored_answer(session: Session) -> None:
    host = _host(session)
    first = StoredResponse(201, {"id": "b1", "token": "t1"})
    service.record(session, host.id, _request(Surface.PUBLIC_API), first)
    reordered = {"lead": BODY["lead"], "start": BODY["start"]}
    assert service.replay(session, host.id, _request(Surface.PUBLIC_API, body=reordered)) == first


def test_the_same_key_with_another_body_is_refused(session: Session) -> None:
    host = _host(session)
    service.record(session, host.id, _request(Surface.PUBLIC_API), StoredResponse(201, {}))
    stranger = {**BODY, "lead": {"name": "Eve", "email": "eve@example.com"}}
    with pytest.raises(IdempotencyKeyReusedError) as refused:
        service.replay(session, host.id, _request(Surface.PUBLIC_API, body=stranger))
    assert refused.value.status_code == 422
    assert "Idempotency-Key" in refused.value.message


def test_a_key_names_nothing_on_another_surface_or_for_another_host(session: Session) -> None:
    host, other_host = _host(session), _host(session, "other")
    service.record(session, host.id, _request(Surface.HOST_API), StoredResponse(201, {"id": "h"}))
    for surface in (Surface.PUBLIC_API, Surface.PAGES):
        assert service.replay(session, host.id, _request(surface)) is None
    assert service.replay(session, other_host.id, _request(Surface.HOST_API)) is None
    # Each surface may record the same key for itself.
    service.record(session, host.id, _request(Surface.PUBLIC_API), StoredResponse(201, {"id": "p"}))
    assert service.replay(session, host.id, _request(Surface.HOST_API)) == StoredResponse(
        201, {"id": "h"}
    )


def test_the_database_keeps_one_answer_per_host_surface_and_key(session: Session) -> None:
    host = _host(session)
    session.commit()
    for _ in range(2):
        session.add(
            IdempotencyKey(
                host_id=host.id,
                surface=Surface.PUBLIC_API,
                key="k1",
                request_hash="0" * 64,
                response_status=201,
                response_body={},
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()
