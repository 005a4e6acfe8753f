"""Why a bookings job waits for a person: the one vocabulary of this domain's park codes.

The jobs package treats a park code as an opaque string (the column is free
text) and names only its own, ``jobs.ATTEMPTS_EXHAUSTED``; the words about
Google, calendars and refunds belong here, next to the handlers that park
with them, the notices that explain them and the routes that resume them.
"""

from __future__ import annotations

import enum

from leadscalendar.calendar_sync.park_codes import SyncParkCode


class ParkCode(enum.StrEnum):
    # The host's Google grant is gone or lacks a scope: they must reconnect.
    NEEDS_REAUTH = "needs_reauth"
    # The host never connected Google Calendar (or disconnected it).
    NOT_CONNECTED = "not_connected"
    # The target calendar no longer exists (or the account has no Google Calendar).
    CALENDAR_GONE = "calendar_gone"
    # Google refuses the write on that calendar (read-only, not the organiser...).
    PERMISSION = "permission"
    # Google refused the event as invalid: a bug of ours worth an alert.
    INVALID = "invalid"
    # Our OAuth client set-up is wrong: an operator must act.
    MISCONFIGURED = "misconfigured"
    # Google holds an event under this booking's id that we did not create.
    NOT_OURS = "not_ours"
    # The payment provider refused a refund for good.
    REFUND_FAILED = "refund_failed"
    # A reminder job whose payload names no booking or time (a bug worth a look).
    REMINDER_INVALID = "reminder_invalid"
    # A booking_mails job whose payload names no booking, plan or time (a bug of ours).
    BOOKING_MAILS_INVALID = "booking_mails_invalid"


# Parked calendar jobs a (re)connection can unblock: with a working grant, maybe on
# another account that sees the calendar, they are worth a fresh try; they park
# again if not. A calendar-sync reconcile Google refused is one of them.
RESUMED_ON_CONNECT = (
    ParkCode.NEEDS_REAUTH.value,
    ParkCode.NOT_CONNECTED.value,
    ParkCode.PERMISSION.value,
    ParkCode.CALENDAR_GONE.value,
    SyncParkCode.RECONCILE_REFUSED.value,
)
# ... and those another calendar (the connection's or a booking type's) can unblock.
RESUMED_ON_CALENDAR = (ParkCode.CALENDAR_GONE.value, ParkCode.PERMISSION.value)
