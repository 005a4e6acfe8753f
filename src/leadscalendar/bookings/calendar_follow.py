"""Bookings follow what the host does to their events in Google Calendar.

Called by calendar sync for every changed event that carries our booking id
(``extendedProperties.private.leadscalendarBookingId``), inside the sync's
write transaction. The event is Google's resource as ``events.list`` returns
it (``status: cancelled`` for a deleted one).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


def follow_calendar_event(
    session: Session, *, booking_id: uuid.UUID, event: Mapping[str, Any], now: datetime
) -> None:
    """Apply a change the host made in Google to the booking it belongs to.

    Not yet built: the booking keeps its state whatever happens in Google.
    """
    del session, booking_id, event, now
