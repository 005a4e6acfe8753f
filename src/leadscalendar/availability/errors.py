"""Failures of the availability domain.

Bad rules come from a host's settings, so they are 422s with a message the host
can act on; a taken slot is the lead's 409; a naive datetime is our own bug.
"""

from __future__ import annotations

import enum

from leadscalendar.errors import ConflictError, LeadsCalendarError


class AvailabilityError(LeadsCalendarError):
    """Base of the availability family."""


class InvalidRulesError(AvailabilityError):
    """A booking type's rules or a host's working hours cannot produce slots."""

    status_code = 422


class UnknownTimeZoneError(InvalidRulesError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown time zone {name!r}: use an IANA name such as 'Europe/Paris'.")
        self.name = name


class NaiveDatetimeError(AvailabilityError):
    """A datetime without a zone reached availability: a caller's bug, never the user's."""

    status_code = 500

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} must be a timezone-aware datetime.")


class SlotRejection(enum.StrEnum):
    """Why a start time is not offered; the order of checks in ``check_slot`` picks one."""

    NOT_A_SLOT_START = "not_a_slot_start"
    OUTSIDE_WORKING_HOURS = "outside_working_hours"
    TOO_SOON = "too_soon"
    TOO_FAR_AHEAD = "too_far_ahead"
    DAILY_LIMIT_REACHED = "daily_limit_reached"
    CALENDAR_BUSY = "calendar_busy"
    ALREADY_BOOKED = "already_booked"


_REJECTION_MESSAGES = {
    SlotRejection.NOT_A_SLOT_START: "That time is not one of the offered start times.",
    SlotRejection.OUTSIDE_WORKING_HOURS: "That time is outside the host's working hours.",
    SlotRejection.TOO_SOON: "That time is too soon to book.",
    SlotRejection.TOO_FAR_AHEAD: "That time is too far ahead to book.",
    SlotRejection.DAILY_LIMIT_REACHED: "That day is fully booked.",
    SlotRejection.CALENDAR_BUSY: "That time is no longer available.",
    SlotRejection.ALREADY_BOOKED: "That time is no longer available.",
}


class SlotUnavailableError(ConflictError):
    """Raised by callers (under the per-host lock) when a submitted slot is no longer offered.

    The message deliberately does not say whether a calendar event or another
    booking took the time: the lead must not learn about the host's calendar.
    """

    def __init__(self, reason: SlotRejection) -> None:
        super().__init__(_REJECTION_MESSAGES[reason])
        self.reason = reason
