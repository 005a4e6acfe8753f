"""Calendar clients per host, with credentials from the one credential provider."""

from __future__ import annotations

import uuid
from typing import Protocol

from google.oauth2.credentials import Credentials

from leadscalendar.config import Settings
from leadscalendar.google.calendar import CalendarClient, GoogleCalendarClient
from leadscalendar.google.credentials import AccessGrant, CredentialProvider
from leadscalendar.google.models import GoogleConnection


class CalendarClients(Protocol):
    def for_host(self, host_id: uuid.UUID) -> CalendarClient: ...

    def grant_of(self, connection: GoogleConnection | None) -> AccessGrant: ...

    def for_grant(self, grant: AccessGrant) -> CalendarClient: ...

    def for_retired(self, token_ciphertext: bytes) -> CalendarClient: ...


class GoogleCalendarClients:
    """Builds a ``GoogleCalendarClient`` for a host; raises if the host must reconnect."""

    def __init__(self, settings: Settings, credentials: CredentialProvider) -> None:
        self._settings = settings
        self._credentials = credentials

    def for_host(self, host_id: uuid.UUID) -> CalendarClient:
        return self._client(self._credentials.for_host(host_id))

    def grant_of(self, connection: GoogleConnection | None) -> AccessGrant:
        """See ``CredentialProvider.grant_of``: the token of a row read by the caller."""
        return self._credentials.grant_of(connection)

    def for_grant(self, grant: AccessGrant) -> CalendarClient:
        return self._client(self._credentials.for_grant(grant))

    def for_retired(self, token_ciphertext: bytes) -> CalendarClient:
        """A client acting as a Google account the host switched away from."""
        return self._client(self._credentials.for_retired(token_ciphertext))

    def _client(self, credentials: Credentials) -> CalendarClient:
        return GoogleCalendarClient(
            credentials,
            api_base=self._settings.google_api_base,
            timeout=self._settings.google_http_timeout_seconds,
        )
