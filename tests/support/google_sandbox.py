"""A test-side handle on a running Google sandbox, with helpers that play the user.

Kept out of ``conftest.py`` so tests anywhere can import the type and helpers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build

from leadscalendar.sandbox.google import SandboxConfig

CALENDAR_SCOPES = (
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/calendar.events.owned",
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
)

_HIDDEN = re.compile(r'name="request_id" value="([^"]+)"')
_CHECKBOX = re.compile(r'type="checkbox" name="scope" id="([^"]+)" value="([^"]+)"')


@dataclass
class GoogleSandbox:
    base_url: str
    config: SandboxConfig
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=10.0)

    def close(self) -> None:
        self.http.close()

    # -- the endpoint settings the application would use -------------------------

    @property
    def auth_uri(self) -> str:
        return f"{self.base_url}o/oauth2/v2/auth"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}token"

    @property
    def revoke_uri(self) -> str:
        return f"{self.base_url}revoke"

    @property
    def api_endpoint(self) -> str:
        """What to pass as ``client_options={"api_endpoint": ...}`` to ``build``."""
        return f"{self.base_url}calendar/v3/"

    @property
    def batch_uri(self) -> str:
        return f"{self.base_url}batch/calendar/v3"

    @property
    def redirect_uri(self) -> str:
        return self.config.redirect_uris[0]

    def client_config(self) -> dict[str, Any]:
        return {
            "web": {
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret,
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "redirect_uris": list(self.config.redirect_uris),
            }
        }

    # -- playing the user -------------------------------------------------------

    def consent(
        self,
        authorization_url: str,
        *,
        untick: Iterable[str] = (),
        deny: bool = False,
        account_email: str | None = None,
    ) -> str:
        """Open the consent page, untick some scopes, answer; returns the redirect URL."""
        page = self.http.get(authorization_url)
        page.raise_for_status()
        match = _HIDDEN.search(page.text)
        assert match, "no consent form on the page"
        unticked = set(untick)
        ticked = [
            unescape(value)
            for _, value in _CHECKBOX.findall(page.text)
            if unescape(value) not in unticked
        ]
        form: dict[str, Any] = {
            "request_id": match.group(1),
            "decision": "deny" if deny else "allow",
            "scope": ticked,
            "account_email": account_email or self.config.account_email,
        }
        answer = self.http.post("o/oauth2/v2/auth/decision", data=form)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def flow(self, scopes: Sequence[str] = CALENDAR_SCOPES) -> Flow:
        return Flow.from_client_config(
            self.client_config(), scopes=list(scopes), redirect_uri=self.redirect_uri
        )

    def connect(
        self,
        scopes: Sequence[str] = CALENDAR_SCOPES,
        *,
        untick: Iterable[str] = (),
        access_type: str = "offline",
        account_email: str | None = None,
    ) -> Credentials:
        """The whole connect dance with the real google-auth-oauthlib ``Flow`` (PKCE)."""
        flow = self.flow(scopes)
        url, _ = flow.authorization_url(access_type=access_type, prompt="consent")
        redirect = self.consent(url, untick=untick, account_email=account_email)
        try:
            flow.fetch_token(authorization_response=redirect)
        finally:
            flow.oauth2session.close()
        credentials: Credentials = flow.credentials
        return credentials

    @contextmanager
    def calendar(self, credentials: Credentials) -> Iterator[Any]:
        """The real client (static discovery) pointed at the sandbox; closed afterwards."""
        service = build(
            "calendar",
            "v3",
            credentials=credentials,
            static_discovery=True,
            client_options={"api_endpoint": self.api_endpoint},
        )
        try:
            yield service
        finally:
            service.close()

    # -- control API -----------------------------------------------------------

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, f"_sandbox/{path.lstrip('/')}", json=body)
        response.raise_for_status()
        return response.json()

    # -- incremental sync and push (Google acting on its own) --------------------

    def expire_sync_tokens(self, calendar_id: str) -> None:
        """Every sync token of the calendar now gets 410 ``fullSyncRequired``."""
        self.control("POST", f"calendars/{quote(calendar_id, safe='')}/sync-tokens/expire")

    def channels(self) -> list[dict[str, Any]]:
        """Every channel: its resource, calendar, expiry, liveness and delivery attempts."""
        found: list[dict[str, Any]] = self.control("GET", "channels")["channels"]
        return found

    def channel_settings(
        self,
        *,
        default_ttl_seconds: int | None = None,
        max_attempts: int | None = None,
        first_retry_delay_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Default TTL of new channels and the push retry policy (reset restores Google's)."""
        body = {
            "default_ttl_seconds": default_ttl_seconds,
            "max_attempts": max_attempts,
            "first_retry_delay_seconds": first_retry_delay_seconds,
        }
        answer: dict[str, Any] = self.control("POST", "channels/settings", body)
        return answer

    def expire_channels(self, channel_id: str | None = None) -> int:
        """One channel, or every live one, expires now: no more deliveries on it."""
        expired: int = self.control("POST", "channels/expire", {"id": channel_id})["expired"]
        return expired

    # -- the host acting in Google Calendar itself --------------------------------

    def _host(self, calendar_id: str, path: str, body: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = self.control(
            "POST", f"calendars/{quote(calendar_id, safe='@')}/events{path}", body
        )
        return answer

    def host_move(
        self,
        calendar_id: str,
        event_id: str,
        start: str | dict[str, str],
        end: str | dict[str, str],
    ) -> dict[str, Any]:
        """The host drags the event to a new time (RFC 3339 strings or EventDateTime objects)."""
        moved: dict[str, Any] = self._host(
            calendar_id, f"/{event_id}/move", {"start": start, "end": end}
        )["event"]
        return moved

    def host_rename(self, calendar_id: str, event_id: str, summary: str) -> dict[str, Any]:
        renamed: dict[str, Any] = self._host(
            calendar_id, f"/{event_id}/summary", {"summary": summary}
        )["event"]
        return renamed

    def host_delete(self, calendar_id: str, event_id: str) -> None:
        self._host(calendar_id, f"/{event_id}/delete")

    def attendee_responds(
        self, calendar_id: str, event_id: str, email: str, response_status: str = "declined"
    ) -> dict[str, Any]:
        """An attendee (the lead) answers the invitation in Google: declined by default."""
        body = {"email": email, "responseStatus": response_status}
        answered: dict[str, Any] = self._host(calendar_id, f"/{event_id}/response", body)["event"]
        return answered

    def host_create_event(
        self,
        calendar_id: str,
        start: str,
        end: str,
        *,
        summary: str = "Busy",
        transparency: str | None = None,
        all_day: bool = False,
        recurrence: list[str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """An event the host makes in Google: ``all_day`` takes ``start``/``end`` as dates."""
        key = "date" if all_day else "dateTime"
        body: dict[str, Any] = {"summary": summary, "start": {key: start}, "end": {key: end}}
        if transparency is not None:
            body["transparency"] = transparency
        if recurrence is not None:
            body["recurrence"] = recurrence
        created: dict[str, Any] = self._host(calendar_id, "", body | fields)["event"]
        return created

    def host_cancel_instance(
        self, calendar_id: str, event_id: str, original_start: str
    ) -> dict[str, Any]:
        """The host deletes one occurrence of a recurring event (a date when all-day)."""
        body = {"originalStart": original_start}
        cancelled: dict[str, Any] = self._host(calendar_id, f"/{event_id}/instances/cancel", body)[
            "event"
        ]
        return cancelled


def query_of(url: str) -> dict[str, str]:
    """The single-valued query parameters of a redirect URL."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
