"""Failures of the bookings domain that a lead or host can act on."""

from __future__ import annotations

from datetime import datetime

from leadscalendar.errors import ConflictError, LeadsCalendarError, NotFoundError


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


class NotTakingBookingsError(LeadsCalendarError):
    """The host cannot take bookings right now (Google needs reconnecting, say)."""

    status_code = 503
