"""The changes an ``update_calendar_event`` job makes to a booking's Google event.

One job kind, one handler (its retries, parks and "the host deleted the event"
recovery), for every change: the job's payload names the patch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadscalendar.google.events import SendUpdates

# The payload key naming the patch; a job without it is a reschedule.
PATCH_KEY = "patch"
MOVE = "move"
ERASE_LEAD = "erase_lead"


@dataclass(frozen=True)
class EventPatch:
    """Which fields of the event body are sent, and what the booking's timeline says."""

    fields: tuple[str, ...]
    note_kind: str
    note_detail: str
    # None: the booking type's sendUpdates; "none" tells no attendee (an erased lead
    # is not e-mailed that they left an event they are no longer named in).
    send_updates: SendUpdates | None = None

    def body(self, event_body: dict[str, Any]) -> dict[str, Any]:
        # build_event_body leaves "attendees" out when there are none; a patch must
        # send the empty list to remove them.
        return {key: event_body.get(key, [] if key == "attendees" else None) for key in self.fields}


PATCHES = {
    MOVE: EventPatch(
        ("summary", "description", "start", "end"),
        "calendar_event_moved",
        "event moved to the new time",
    ),
    ERASE_LEAD: EventPatch(
        ("summary", "description", "attendees"),
        "calendar_event_updated",
        "the lead's details were removed from the event",
        send_updates="none",
    ),
}


def patch_of(payload: dict[str, Any]) -> EventPatch:
    return PATCHES.get(str(payload.get(PATCH_KEY) or MOVE), PATCHES[MOVE])
