"""``answer_once``: two first attempts with one key end with one piece of work and one answer.

A hold asks Google for free/busy between the key's look-up and its write unit,
so a twin request with the same key can record its answer while this one is
still working. These tests play that twin inside ``prepare`` (the phase that
calls out), at exactly that moment, on a real database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.errors import SlotTakenError
from leadscalendar.bookings.models import BookingType
from leadscalendar.db.session import build_read_session_factory, unit_of_work
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


@dataclass(frozen=True)
class Units:
    """What ``answer_once`` opens its units of work from (``Services`` in the app)."""

    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]


@pytest.fixture
def units(session_factory: sessionmaker[Session], engine: Engine) -> Units:
    return Units(session_factory, build_read_session_factory(engine))


def _twin_then(units: Units, host_id: uuid.UUID, twin_body: object) -> Callable[[], None]:
    """A ``prepare`` during which the twin runs start to finish (as while a hold asks Google)."""

    def prepare() -> None:
        answer_once(
            units,
            host_id,
            _request(twin_body),
            status_code=201,
            prepare=lambda: None,
            write=lambda twin, _plan: _make(twin, host_id, "twin"),
        )

    return prepare


def _late(host_id: uuid.UUID) -> Callable[[Session, None], Made]:
    return lambda session, _plan: _make(session, host_id, "late")


def _taken(_session: Session, _plan: None) -> Made:
    raise SlotTakenError("That time is no longer available.", ())


def test_a_late_identical_attempt_drops_its_work_and_gives_the_first_answer(
    units: Units, session_factory: sessionmaker[Session], host_id: uuid.UUID
) -> None:
    answer = answer_once(
        units,
        host_id,
        _request({"a": 1}),
        status_code=201,
        prepare=_twin_then(units, host_id, {"a": 1}),
        write=_late(host_id),
    )
    assert answer.replayed and answer.body == {"slug": "twin"}
    assert _slugs(session_factory) == ["twin"]


def test_a_late_attempt_with_another_body_drops_its_work_and_is_refused(
    units: Units, session_factory: sessionmaker[Session], host_id: uuid.UUID
) -> None:
    with pytest.raises(IdempotencyKeyReusedError):
        answer_once(
            units,
            host_id,
            _request({"a": 2}),
            status_code=201,
            prepare=_twin_then(units, host_id, {"a": 1}),
            write=_late(host_id),
        )
    assert _slugs(session_factory) == ["twin"]


def test_an_attempt_that_lost_its_slot_to_its_twin_gives_the_twins_answer(
    units: Units, host_id: uuid.UUID
) -> None:
    answer = answer_once(
        units,
        host_id,
        _request({"a": 1}),
        status_code=201,
        prepare=_twin_then(units, host_id, {"a": 1}),
        write=_taken,
    )
    assert answer.replayed and answer.status_code == 201 and answer.body == {"slug": "twin"}


def test_a_failure_without_a_twin_stands_and_stores_nothing(
    units: Units, session_factory: sessionmaker[Session], host_id: uuid.UUID
) -> None:
    with pytest.raises(SlotTakenError):
        answer_once(
            units, host_id, _request({"a": 1}), status_code=201, prepare=lambda: None, write=_taken
        )
    retry = answer_once(
        units,
        host_id,
        _request({"a": 1}),
        status_code=201,
        prepare=lambda: None,
        write=lambda session, _plan: _make(session, host_id, "retry"),
    )
    assert not retry.replayed and _slugs(session_factory) == ["retry"]


def test_a_replay_does_no_work_and_opens_no_write_unit(
    units: Units, session_factory: sessionmaker[Session], host_id: uuid.UUID
) -> None:
    first = answer_once(
        units,
        host_id,
        _request({"a": 1}),
        status_code=201,
        prepare=lambda: None,
        write=lambda session, _plan: _make(session, host_id, "first"),
    )

    def must_not_run() -> None:
        raise AssertionError("a replay calls nothing out")

    again = answer_once(
        units,
        host_id,
        _request({"a": 1}),
        status_code=201,
        prepare=must_not_run,
        write=_late(host_id),
    )
    assert again.replayed and again.body == first.body == {"slug": "first"}
    assert _slugs(session_factory) == ["first"]
