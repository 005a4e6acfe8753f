"""insert_unless_exists on both databases: one row per unique key, defaults applied."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.inserts import insert_unless_exists
from leadscalendar.db.session import unit_of_work
from leadscalendar.payments.models import PaymentEvent, PaymentEventKind

UNIQUE = ("provider", "external_id")


def _event(external_id: str, type_: str = "checkout.session.completed") -> dict[str, object]:
    return {
        "provider": "stripe",
        "external_id": external_id,
        "type": type_,
        "kind": PaymentEventKind.CHECKOUT_PAID,
        "raw": "{}",
    }


def test_the_first_insert_wins_and_the_second_changes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        assert insert_unless_exists(session, PaymentEvent, _event("evt_1"), UNIQUE)
        assert not insert_unless_exists(session, PaymentEvent, _event("evt_1", "other"), UNIQUE)
        assert insert_unless_exists(session, PaymentEvent, _event("evt_2"), UNIQUE)
    with session_factory() as session:
        rows = session.scalars(select(PaymentEvent).order_by(PaymentEvent.external_id)).all()
        assert [(row.external_id, row.type) for row in rows] == [
            ("evt_1", "checkout.session.completed"),
            ("evt_2", "checkout.session.completed"),
        ]
        # The model's Python-side defaults still apply to a Core insert.
        assert all(row.id is not None and row.received_at is not None for row in rows)
        assert rows[0].livemode is False


def test_a_key_committed_by_an_earlier_transaction_is_not_inserted_again(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        assert insert_unless_exists(session, PaymentEvent, _event("evt_1"), UNIQUE)
    with unit_of_work(session_factory) as session:
        assert not insert_unless_exists(session, PaymentEvent, _event("evt_1"), UNIQUE)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(PaymentEvent)) == 1
