"""Calendar clients per host, with credentials from the one credential provider."""

from __future__ import annotations

import uuid
from typing import Protocol

from leadscalendar.config import Settings
from leadscalendar.google.calendar import CalendarClient, GoogleCalendarClient
from leadscalendar.google.credentials import CredentialProvider


class CalendarClients(Protocol):
    def for_host(self, host_id: uuid.UUID) -> CalendarClient: ...


class GoogleCalendarClients:
    """Builds a ``GoogleCalendarClient`` for a host; raises if the host must reconnect."""

    def __init__(self, settings: Settings, credentials: CredentialProvider) -> None:
        self._settings = settings
        self._credentials = credentials

    def for_host(self, host_id: uuid.UUID) -> CalendarClient:
        return GoogleCalendarClient(
            self._credentials.for_host(host_id),
            api_base=self._settings.google_api_base,
            timeout=self._settings.google_http_timeout_seconds,
        )
