"""A storm of Stripe webhooks: duplicated, reordered, concurrent, and forged.

The payments sandbox's own delivery is paused: every request the app sees is
built and signed here. Stripe promises neither order nor exactly-once; an
attacker can send anything. Whatever arrives, each paid booking gets one
event and a forgery changes nothing.
"""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from leadscalendar.bookings.states import BookingStatus
from tests.chaos.invariants import assert_invariants
from tests.support.booking_env import BookingEnv
from tests.support.booking_flow import (
    Held,
    all_bookings,
    checkout,
    days_ahead,
    jobs_of,
    payment_events_of,
    sandbox,
    slot_starts,
    wait_jobs_idle,
)
from tests.support.payments import session_event, signed

PAID = 6
UNPAID = 3  # their only "payment" webhooks are forged
COPIES = 3  # each genuine event arrives this many times, freshly signed each time
PRICE = 9000
SESSION = timedelta(hours=1)
Delivery = tuple[str, bytes, dict[str, str]]


@pytest.mark.timeout(180)
def test_a_webhook_storm_pays_each_booking_once_and_forgeries_change_nothing(
    chaos_stripe_env: BookingEnv, chaos_scale: int
) -> None:
    env = chaos_stripe_env
    sandbox(env, "POST", "delivery/pause")
    starts = _disjoint(slot_starts(env, "session", days_ahead(2), days=14))
    wanted = (PAID + UNPAID) * chaos_scale
    assert len(starts) >= wanted
    held = [checkout(env, "session", start) for start in starts[:wanted]]
    paid, unpaid = held[: PAID * chaos_scale], held[PAID * chaos_scale :]

    completions = [
        _completed(booking, session_id, n) for n, (booking, session_id) in enumerate(paid)
    ]
    storm: list[Delivery] = []
    for event in completions:
        storm += [("genuine", *signed(event)) for _ in range(COPIES)]
        storm.append(("forged", *signed(event, secret="whsec_someone_else")))
        tampered_body, headers = signed(event)
        storm.append(("forged", tampered_body.replace(b'"paid"', b'"unpaid"'), headers))
    for n, (booking, session_id) in enumerate(unpaid, start=len(paid)):
        forged = _completed(booking, session_id, n)
        storm.append(("forged", *signed(forged, secret="whsec_someone_else")))
        storm.append(("forged", *signed(forged, timestamp=1)))  # a replay from long ago
    random.Random(7 * chaos_scale).shuffle(storm)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda delivery: _post(env, delivery), storm))
    for (kind, _, _), response in zip(storm, answers, strict=True):
        expected = 200 if kind == "genuine" else 400
        assert response.status_code == expected, (kind, response.text)
    duplicates = Counter(bool(r.json()["duplicate"]) for r in answers if r.status_code == 200)
    assert duplicates == {False: len(paid), True: len(paid) * (COPIES - 1)}

    # Late and out of order: "expired" after "completed" for the paid ones.
    for booking, session_id in paid:
        late = session_event(
            "checkout.session.expired",
            booking_id=booking.uuid,
            session_id=session_id,
            payment_status="unpaid",
            payment_intent=None,
            amount=PRICE,
        )
        assert _post(env, ("genuine", *signed(late))).status_code == 200

    wait_jobs_idle(env, timeout=30 * chaos_scale)
    assert_invariants(env)
    statuses = {str(b.id): b.status for b in all_bookings(env)}
    for booking, _ in paid:
        assert statuses[booking.id] is BookingStatus.SCHEDULED
        assert len(payment_events_of(env, booking.id)) == 2  # completed once, expired once
    for booking, _ in unpaid:
        assert statuses[booking.id] is BookingStatus.AWAITING_PAYMENT
        assert payment_events_of(env, booking.id) == []
        assert jobs_of(env, booking.id) == []
    assert sandbox(env, "GET", "refunds") == []


def _disjoint(starts: list[str]) -> list[str]:
    """Offered starts overlap (an hour long, every half hour): keep non-overlapping ones."""
    chosen: list[str] = []
    for start in starts:
        moment = datetime.fromisoformat(start)
        if not chosen or moment >= datetime.fromisoformat(chosen[-1]) + SESSION:
            chosen.append(start)
    return chosen


def _completed(booking: Held, session_id: str, n: int) -> dict[str, Any]:
    return session_event(
        booking_id=booking.uuid,
        session_id=session_id,
        payment_intent=f"pi_chaos_{n}",
        amount=PRICE,
    )


def _post(env: BookingEnv, delivery: Delivery) -> httpx.Response:
    _, body, headers = delivery
    return env.lead.post("/webhooks/stripe", content=body, headers=headers)
