"""Why a calendar-sync job waits for a person: this domain's park codes.

As ``bookings.park_codes``: the jobs package stores a park code as an opaque
string; the words belong to the domain that parks with them.
"""

from __future__ import annotations

import enum


class SyncParkCode(enum.StrEnum):
    # Google refuses to list a calendar's events until a person acts (reconnect, share
    # the calendar again, fix the OAuth client); meanwhile the pages use free/busy.
    SYNC_REFUSED = "calendar_sync"
    # Google refuses to list the host's calendars until a person acts; a (re)connection
    # resumes the job (bookings.park_codes.RESUMED_ON_CONNECT).
    RECONCILE_REFUSED = "calendar_sync_reconcile_refused"
