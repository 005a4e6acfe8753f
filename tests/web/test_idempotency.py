"""``answer_once``: two first attempts with one key end with one piece of work and one answer.

A hold ends its transaction to ask Google for free/busy, so a twin request with
the same key can record its answer while this one is still working. These tests
play that twin inside ``produce``, at exactly that moment, on a real database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.errors import SlotTakenError
from leadscalendar.bookings.models import BookingType
from leadscalendar.db.session import unit_of_work
from leadscalendar.idempotency.models import Surface
from leadscalendar.idempotency.service import IdempotencyKeyReusedError, IdempotentRequest
from leadscalendar.web.idempotency import answer_once


class Made(BaseModel):
    slug: str


def _request(body: object) -> IdempotentRequest:
    return IdempotentRequest.of(Surface.PUBLIC_API, "k1", method="POST", path="/p", body=body)


@pytest.fixture
def host_id(session_factory: sessionmaker[Session]) -> uuid.UUID:
    with unit_of_work(session_factory) as session:
        host = Host(email="coach@example.com", name="Coach", slug="coach", password_hash="-")
        session.add(host)
        session.flush()
        return host.id


def _make(session: Session, host_id: uuid.UUID, slug: str) -> Made:
    session.add(BookingType(host_id=host_id, slug=slug, title=slug, duration_minutes=30))
    session.flush()
    return Made(slug=slug)


def _slugs(session_factory: sessionmaker[Session]) -> list[str]:
    with session_factory() as session:
        return sorted(session.scalars(select(BookingType.slug)))


def _with_twin(
    session: Session,
    session_factory: sessionmaker[Session],
    host_id: uuid.UUID,
    twin_body: object,
    then: Callable[[], Made],
) -> Callable[[], Made]:
    """A ``produce`` that ends its transaction (as a hold does), lets the twin finish, goes on."""

    def produce() -> Made:
        session.commit()
        with unit_of_work(session_factory) as twin:
            answer_once(
                twin,
                host_id,
                _request(twin_body),
                status_code=201,
                produce=lambda: _make(twin, host_id, "twin"),
            )
        return then()

    return produce


def test_a_late_identical_attempt_drops_its_work_and_gives_the_first_answer(
    session_factory: sessionmaker[Session], host_id: uuid.UUID
) -> None:
    with unit_of_work(session_factory) as session:
        produce = _with_twin(
            session, session_factory, host_id, {"a": 1}, lambda: _make(session, host_id, "late")
        )
        answer = answer_once(session, host_id, _request({"a": 1}), status_code=201, produce=produce)
    assert answer.replayed and answer.body == {"slug": "twin"}
    assert _slugs(session_factory) == ["twin"]


def test_a_late_attempt_with_another_body_drops_its_work_and_is_refused(
    session_factory: sessionmaker[Session], host_id: uuid.UUID
) -> None:
    with pytest.raises(IdempotencyKeyReusedError), unit_of_work(session_factory) as session:
        produce = _with_twin(
            session, session_factory, host_id, {"a": 1}, lambda: _make(session, host_id, "late")
        )
        answer_once(session, host_id, _request({"a": 2}), status_code=201, produce=produce)
    assert _slugs(session_factory) == ["twin"]


def test_an_attempt_that_lost_its_slot_to_its_twin_gives_the_twins_answer(
    session_factory: sessionmaker[Session], host_id: uuid.UUID
) -> None:
    def taken() -> Made:
        raise SlotTakenError("That time is no longer available.", ())

    with unit_of_work(session_factory) as session:
        produce = _with_twin(session, session_factory, host_id, {"a": 1}, taken)
        answer = answer_once(session, host_id, _request({"a": 1}), status_code=201, produce=produce)
    assert answer.replayed and answer.status_code == 201 and answer.body == {"slug": "twin"}


def test_a_failure_without_a_twin_stands_and_stores_nothing(
    session_factory: sessionmaker[Session], host_id: uuid.UUID
) -> None:
    def taken() -> Made:
        raise SlotTakenError("That time is no longer available.", ())

    with pytest.raises(SlotTakenError), unit_of_work(session_factory) as session:
        answer_once(session, host_id, _request({"a": 1}), status_code=201, produce=taken)
    with unit_of_work(session_factory) as session:
        retry = answer_once(
            session,
            host_id,
            _request({"a": 1}),
            status_code=201,
            produce=lambda: _make(session, host_id, "retry"),
        )
    assert not retry.replayed and _slugs(session_factory) == ["retry"]
