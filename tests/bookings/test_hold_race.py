"""Invariant 3 under fire: fifty leads hold one slot at once and exactly one wins."""

from __future__ import annotations

import threading
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select

from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.states import ACTIVE_STATUSES
from leadscalendar.config import Settings
from leadscalendar.db.session import unit_of_work
from tests.support.booking_env import BookingEnv
from tests.support.booking_flow import days_ahead, slot_starts

LEADS = 50


@pytest.fixture
def booking_settings(booking_settings: Settings) -> Settings:
    """Every request here comes from one address; the per-address hold limit is not under test."""
    return booking_settings.model_copy(update={"holds_per_ip_per_hour": 0})


def test_fifty_leads_race_for_one_slot_and_exactly_one_wins(booking_env: BookingEnv) -> None:
    env = booking_env
    offered = slot_starts(env, "session", days_ahead(2), days=3)
    start = offered[0]
    barrier = threading.Barrier(LEADS)
    answers: list[httpx.Response] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def lead(number: int) -> None:
        try:
            with httpx.Client(base_url=env.url, timeout=60) as client:
                barrier.wait(timeout=30)
                response = client.post(
                    "/api/v1/public/hosts/coach/types/session/bookings",
                    json={
                        "start": start,
                        "lead": {"name": f"Lead {number}", "email": f"lead{number}@example.com"},
                    },
                )
            with lock:
                answers.append(response)
        except BaseException as error:  # reported below, not swallowed
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=lead, args=(n,)) for n in range(LEADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not failures, failures

    statuses = sorted(response.status_code for response in answers)
    assert statuses == [201] + [409] * (LEADS - 1), [
        r.text for r in answers if r.status_code >= 500
    ]
    offered_times = {datetime.fromisoformat(slot) for slot in offered}
    for response in answers:
        if response.status_code != 409:
            continue
        alternatives = [datetime.fromisoformat(a) for a in response.json()["error"]["alternatives"]]
        assert alternatives, response.text
        assert datetime.fromisoformat(start) not in alternatives
        assert alternatives == sorted(alternatives)
        assert set(alternatives) <= offered_times

    (winner,) = [r.json() for r in answers if r.status_code == 201]
    with unit_of_work(env.services.session_factory) as session:
        bookings = session.scalars(select(Booking)).all()
        assert [b.id for b in bookings if b.status in ACTIVE_STATUSES] == [
            b.id for b in bookings if str(b.id) == winner["id"]
        ]
        assert len(bookings) == 1
