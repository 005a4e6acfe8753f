"""LeadsCalendar: paid bookings that land on the host's Google Calendar exactly once."""

__version__ = "0.1.0"
