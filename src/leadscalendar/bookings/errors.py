"""Failures of the bookings domain that a lead or host can act on."""

from __future__ import annotations

from datetime import datetime

from leadscalendar.errors import (
    ConflictError,
    LeadsCalendarError,
    NotFoundError,
    RateLimitedError,
)


class SlotTakenError(ConflictError):
    """The slot is no longer offered; ``alternatives`` are the next free ones."""

    def __init__(self, message: str, alternatives: tuple[datetime, ...] = ()) -> None:
        super().__init__(message)
        self.alternatives = alternatives

    def details(self) -> dict[str, object]:
        return {"alternatives": [moment.isoformat() for moment in self.alternatives]}


class SlotNotOfferedError(SlotTakenError):
    """The start was never bookable (not a slot start, outside hours, in the past...)."""

    status_code = 400


class BookingNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("There is no such booking.")


class BookingTypeNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("There is no such booking page.")


class BookingStartedError(ConflictError):
    """A lead may not move, cancel or get a refund for an appointment whose time has come."""

    def __init__(self) -> None:
        super().__init__(
            "This appointment's time has already come, so it can no longer be moved, "
            "cancelled or refunded here. Please contact the host."
        )


class NotTakingBookingsError(LeadsCalendarError):
    """The host cannot take bookings right now (Google needs reconnecting, say)."""

    status_code = 503


class TooManyActiveHoldsError(RateLimitedError):
    """The lead's e-mail already holds as many unpaid slots with this host as allowed."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "You already have several times on hold with this host. Finish or cancel one of "
            "those bookings, or wait for a hold to expire, then try again.",
            retry_after_seconds,
        )
