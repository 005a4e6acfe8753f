"""Failures of the Google connection that the host can act on."""

from __future__ import annotations

from leadscalendar.errors import LeadsCalendarError


class NotConnectedError(LeadsCalendarError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__("Google Calendar is not connected yet.")


class ReauthorizationRequiredError(LeadsCalendarError):
    """Google no longer accepts our refresh token; only the host can fix it by reconnecting."""

    status_code = 409

    def __init__(self, reason: str | None = None) -> None:
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"Google no longer accepts LeadsCalendar's access{detail}. "
            "Reconnect Google Calendar from the dashboard."
        )
        self.reason = reason


class OAuthStateError(LeadsCalendarError):
    """The callback's ``state`` is missing, unknown, reused, expired or not this session's."""

    status_code = 400


class ConnectFailedError(LeadsCalendarError):
    status_code = 400
