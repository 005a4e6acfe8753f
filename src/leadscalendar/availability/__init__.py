"""Pure functions that turn working hours, busy time and rules into bookable slots.

No I/O and no database: callers fetch freeBusy and bookings, then ask. See
``slots`` for the exact definition of a slot and ``zones`` for DST handling.
"""

from leadscalendar.availability.display import (
    DaySlots,
    LocalSlot,
    format_local_time,
    group_by_day,
)
from leadscalendar.availability.errors import (
    AvailabilityError,
    InvalidRulesError,
    NaiveDatetimeError,
    SlotRejection,
    SlotUnavailableError,
    UnknownTimeZoneError,
)
from leadscalendar.availability.slots import check_slot, compute_slots, is_slot_available
from leadscalendar.availability.types import (
    BookingRules,
    BusyInterval,
    ExistingBooking,
    Slot,
    WorkingHours,
    WorkingInterval,
)

__all__ = [
    "AvailabilityError",
    "BookingRules",
    "BusyInterval",
    "DaySlots",
    "ExistingBooking",
    "InvalidRulesError",
    "LocalSlot",
    "NaiveDatetimeError",
    "Slot",
    "SlotRejection",
    "SlotUnavailableError",
    "UnknownTimeZoneError",
    "WorkingHours",
    "WorkingInterval",
    "check_slot",
    "compute_slots",
    "format_local_time",
    "group_by_day",
    "is_slot_available",
]
