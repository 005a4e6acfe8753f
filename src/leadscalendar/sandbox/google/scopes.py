"""Scope names, their consent-screen wording, and the per-method scope check."""

from __future__ import annotations

from leadscalendar.sandbox.google.discovery import method_scopes

AUTH = "https://www.googleapis.com/auth/"
CALENDAR = AUTH + "calendar"
CALENDAR_READONLY = AUTH + "calendar.readonly"
EVENTS = AUTH + "calendar.events"
EVENTS_READONLY = AUTH + "calendar.events.readonly"
EVENTS_OWNED = AUTH + "calendar.events.owned"
EVENTS_OWNED_READONLY = AUTH + "calendar.events.owned.readonly"
FREEBUSY = AUTH + "calendar.freebusy"
EVENTS_FREEBUSY = AUTH + "calendar.events.freebusy"
CALENDARLIST = AUTH + "calendar.calendarlist"
CALENDARLIST_READONLY = AUTH + "calendar.calendarlist.readonly"
CALENDARS = AUTH + "calendar.calendars"
CALENDARS_READONLY = AUTH + "calendar.calendars.readonly"

LABELS = {
    "openid": "Associate you with your personal info on Google",
    "email": "See your primary Google Account email address",
    "profile": "See your personal info, including any personal info you've made publicly available",
    AUTH + "userinfo.email": "See your primary Google Account email address",
    AUTH + "userinfo.profile": (
        "See your personal info, including any personal info you've made publicly available"
    ),
    CALENDAR: "See, edit, share, and permanently delete all the calendars you can access",
    CALENDAR_READONLY: "See and download any calendar you can access using your Google Calendar",
    EVENTS: "View and edit events on all your calendars",
    EVENTS_READONLY: "View events on all your calendars",
    EVENTS_OWNED: "See, create, change, and delete events on Google calendars you own",
    EVENTS_OWNED_READONLY: "See the events on Google calendars you own",
    FREEBUSY: "See the availability on Google calendars you have access to",
    EVENTS_FREEBUSY: "See the availability on Google calendars you have access to",
    CALENDARLIST: "See, add, and remove Google calendars you're subscribed to",
    CALENDARLIST_READONLY: "See the list of Google calendars you're subscribed to",
}


def scope_label(scope: str) -> str:
    return LABELS.get(scope, scope)


def allows(method: str, granted: frozenset[str]) -> bool:
    """Whether the token's scopes let it call ``method`` (e.g. ``events.insert``)."""
    return bool(method_scopes(method) & granted)
