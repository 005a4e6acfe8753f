"""The booking state machine: which transitions exist, in one table.

Every change of state goes through ``transition`` so an impossible move (say,
``expired`` to ``paid`` without a new payment) is an error, never a write.
"""

from __future__ import annotations

import enum

from leadscalendar.errors import ConflictError


class BookingStatus(enum.StrEnum):
    HELD = "held"
    AWAITING_PAYMENT = "awaiting_payment"
    # Paid (or free and confirmed) but waiting for the host's approval.
    AWAITING_APPROVAL = "awaiting_approval"
    PAID = "paid"
    SCHEDULED = "scheduled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    REFUNDED = "refunded"


# Bookings in these states occupy their slot.
ACTIVE_STATUSES = frozenset(
    {
        BookingStatus.HELD,
        BookingStatus.AWAITING_PAYMENT,
        BookingStatus.AWAITING_APPROVAL,
        BookingStatus.PAID,
        BookingStatus.SCHEDULED,
    }
)

# Of those, the ones that take their slot only until ``hold_expires_at``.
HOLDING_STATUSES = frozenset({BookingStatus.HELD, BookingStatus.AWAITING_PAYMENT})

ALLOWED_TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.HELD: frozenset(
        {
            BookingStatus.AWAITING_PAYMENT,
            BookingStatus.AWAITING_APPROVAL,
            BookingStatus.PAID,
            BookingStatus.EXPIRED,
            BookingStatus.CANCELLED,
        }
    ),
    BookingStatus.AWAITING_PAYMENT: frozenset(
        {
            BookingStatus.PAID,
            BookingStatus.AWAITING_APPROVAL,
            BookingStatus.EXPIRED,
            BookingStatus.CANCELLED,
            # A payment that arrived after its slot was given away is refunded.
            BookingStatus.REFUNDED,
        }
    ),
    BookingStatus.AWAITING_APPROVAL: frozenset(
        {BookingStatus.PAID, BookingStatus.DECLINED, BookingStatus.CANCELLED}
    ),
    BookingStatus.PAID: frozenset({BookingStatus.SCHEDULED, BookingStatus.CANCELLED}),
    BookingStatus.SCHEDULED: frozenset({BookingStatus.CANCELLED}),
    # A late payment for an expired hold revives it when the slot is still free.
    BookingStatus.EXPIRED: frozenset(
        {BookingStatus.PAID, BookingStatus.AWAITING_APPROVAL, BookingStatus.REFUNDED}
    ),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.DECLINED: frozenset(),
    BookingStatus.REFUNDED: frozenset(),
}


class InvalidTransitionError(ConflictError):
    pass


def check_transition(current: BookingStatus, target: BookingStatus) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransitionError(
            f"A booking that is {current.value.replace('_', ' ')} "
            f"cannot become {target.value.replace('_', ' ')}."
        )
