"""The booking state machine (``bookings.states``): the table, and walks through it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadscalendar.bookings.states import (
    ACTIVE_STATUSES,
    ALLOWED_TRANSITIONS,
    BookingStatus,
    InvalidTransitionError,
    check_transition,
)

S = BookingStatus
TERMINAL = {S.CANCELLED, S.DECLINED, S.REFUNDED}
# Reaching "paid" needs money (or a free type's confirmation, or the host's approval).
INTO_PAID = {S.HELD, S.AWAITING_PAYMENT, S.AWAITING_APPROVAL, S.EXPIRED}


@pytest.mark.parametrize("status", list(S))
def test_every_status_has_a_row_and_terminal_ones_lead_nowhere(status: BookingStatus) -> None:
    targets = ALLOWED_TRANSITIONS[status]
    assert status not in targets
    assert (not targets) == (status in TERMINAL)


def test_who_may_become_paid_or_scheduled() -> None:
    assert {s for s in S if S.PAID in ALLOWED_TRANSITIONS[s]} == INTO_PAID
    # Only the calendar job schedules, and only a paid booking.
    assert {s for s in S if S.SCHEDULED in ALLOWED_TRANSITIONS[s]} == {S.PAID}
    assert ACTIVE_STATUSES.isdisjoint({S.EXPIRED, *TERMINAL})


@given(st.lists(st.sampled_from(list(S)), max_size=12))
def test_random_walks_follow_the_table_exactly(path: list[BookingStatus]) -> None:
    current = S.HELD
    for target in path:
        if target in ALLOWED_TRANSITIONS[current]:
            check_transition(current, target)
            current = target
        else:
            with pytest.raises(InvalidTransitionError) as raised:
                check_transition(current, target)
            assert raised.value.status_code == 409
    # A booking never leaves a terminal state, however long the walk.
    if current in TERMINAL:
        assert all(target not in ALLOWED_TRANSITIONS[current] for target in S)
