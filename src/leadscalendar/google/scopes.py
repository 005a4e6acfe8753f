"""The least-privilege scopes LeadsCalendar asks for, and why each one."""

from __future__ import annotations

# Create, change and delete only the events the host owns on their calendars;
# unlike the full `calendar` scope it cannot read or change others' events.
# It also covers events.list, events.watch and channels.stop on calendars the
# host owns: calendar sync (calendar_sync/) needs no further scope, and calendars
# merely shared with the host stay on free/busy.
EVENTS_OWNED = "https://www.googleapis.com/auth/calendar.events.owned"
# Read only when the host is busy (no titles, no attendees) to offer free slots.
FREEBUSY = "https://www.googleapis.com/auth/calendar.freebusy"
# List the host's calendars so they can pick which one receives bookings.
CALENDARLIST_READONLY = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
# Google returns these with the token anyway; we keep the account e-mail to show
# the host which Google account is connected.
OPENID = "openid"
USERINFO_EMAIL = "https://www.googleapis.com/auth/userinfo.email"

REQUIRED_SCOPES: tuple[str, ...] = (EVENTS_OWNED, FREEBUSY, CALENDARLIST_READONLY)
REQUESTED_SCOPES: tuple[str, ...] = (OPENID, USERINFO_EMAIL, *REQUIRED_SCOPES)

SCOPE_PURPOSES: dict[str, str] = {
    EVENTS_OWNED: "create the events your leads book and follow changes on your own calendars",
    FREEBUSY: "see when you are busy, so leads only see free slots",
    CALENDARLIST_READONLY: "let you choose which calendar receives bookings",
}


def missing_scopes(granted: frozenset[str]) -> tuple[str, ...]:
    """The required scopes the host did not grant, in a stable order."""
    return tuple(scope for scope in REQUIRED_SCOPES if scope not in granted)


def parse_scope(scope: str | None) -> frozenset[str]:
    return frozenset(scope.split()) if scope else frozenset()
