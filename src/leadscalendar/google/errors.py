"""Every failure of a call to Google, classified in one place.

The job runner must decide, for any exception a Google call raised, whether to
treat it as success (409 on our own id), refresh and retry now, back off, wait
for a quota window, or park the job until the host or an operator acts. Spread
over call sites that decision drifts; here it is one function, ``classify``,
driven by Google's documented ``error.errors[0].reason`` and not only by the
HTTP status (a 403 is as often "slow down" as "not allowed").

Nothing in a ``GoogleOutcome`` comes from a token or a request URL: only
Google's status, reason and message, so an outcome is always safe to log.
"""

from __future__ import annotations

import enum
import http.client
import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from leadscalendar.errors import LeadsCalendarError
from leadscalendar.google import scopes

# Google's daily quotas reset at midnight US Pacific time.
QUOTA_RESET_ZONE = ZoneInfo("America/Los_Angeles")
# Longest message we keep from a non-JSON body (an HTML page from a proxy).
_MAX_MESSAGE = 300


class Operation(enum.StrEnum):
    """The Google call that failed: a 404 means a different thing for each."""

    CALENDAR_LIST = "calendarList.list"
    CALENDAR_GET = "calendarList.get"
    EVENT_INSERT = "events.insert"
    EVENT_GET = "events.get"
    EVENT_PATCH = "events.patch"
    EVENT_DELETE = "events.delete"
    EVENT_LIST = "events.list"
    EVENT_WATCH = "events.watch"
    CHANNEL_STOP = "channels.stop"
    FREE_BUSY = "freebusy.query"
    TOKEN_REFRESH = "token.refresh"  # noqa: S105 - an operation name, not a secret


# Operations addressed to one event: their 404 means the event, not the calendar.
_EVENT_OPERATIONS = frozenset({Operation.EVENT_GET, Operation.EVENT_PATCH, Operation.EVENT_DELETE})

# The scope each operation needs, for "re-consent to grant X" when Google says
# the token lacks a scope but does not say which.
_SCOPE_FOR_OPERATION: dict[Operation, str] = {
    Operation.CALENDAR_LIST: scopes.CALENDARLIST_READONLY,
    Operation.CALENDAR_GET: scopes.CALENDARLIST_READONLY,
    Operation.FREE_BUSY: scopes.FREEBUSY,
}


class Action(enum.StrEnum):
    """What the caller does next; the job runner switches on this and nothing else."""

    DUPLICATE = "duplicate"  # 409 on insert: fetch the event, decide if it is ours
    REFRESH_AND_RETRY = "refresh_and_retry"  # 401: refresh the token once, retry now
    NEEDS_REAUTH = "needs_reauth"  # refresh token dead or scope missing: host re-consents
    MISCONFIGURED = "misconfigured"  # our OAuth client is wrong: park for an operator
    BACKOFF = "backoff"  # transient: exponential backoff with jitter
    BACKOFF_UNTIL = "backoff_until"  # daily quota: nothing works before not_before
    BACKOFF_LONG = "backoff_long"  # Calendar usage limits: hours, and tell the host
    PERMISSION = "permission"  # host must pick a calendar they can write to: park
    CALENDAR_GONE = "calendar_gone"  # the target calendar no longer exists: park
    EVENT_GONE = "event_gone"  # the event is gone (a delete is therefore done)
    PRECONDITION = "precondition"  # 412: someone changed the event; re-fetch, re-apply
    INVALID = "invalid"  # 400: our request was wrong; park and log as a bug
    RESYNC = "resync"  # 410 on a sync: the token expired; drop it and sync in full
    UNKNOWN = "unknown"  # back off a bounded number of times, then park


_NON_ORGANIZER_REASON = "forbiddenForNonOrganizer"
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
_SYNC_REASONS = frozenset({"fullSyncRequired", "updatedMinTooLongAgo"})
# Token endpoint errors (RFC 6749 §5.2) that mean our client registration is
# wrong, not the host's grant: re-consent would not help.
_CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client", "unsupported_grant_type"})
_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_scope"})
_TRANSIENT_TOKEN_ERRORS = frozenset({"server_error", "temporarily_unavailable", "internal_failure"})

_REAUTH_MESSAGE = (
    "Google no longer accepts LeadsCalendar's access to your calendar. "
    "Reconnect Google Calendar so new bookings reach your calendar again."
)
_SCOPE_MESSAGE = (
    "LeadsCalendar is missing a Google permission it needs ({purpose}). "
    "Reconnect Google Calendar and leave every permission ticked."
)
_PERMISSION_MESSAGE = (
    "Google refused to let LeadsCalendar write to the chosen calendar: {message} "
    "Pick a calendar you can edit in your settings."
)
_CALENDAR_GONE_MESSAGE = (
    "The calendar that receives your bookings no longer exists or is no longer "
    "shared with your Google account. Pick another calendar in your settings."
)
# "403: Forbidden for non-organizer: the event update request is attempting to set
# one of the shared event properties in a copy that isn't the organizer's"
# (Calendar API, Handle API errors): the calendar is writable; the event is not ours.
_NON_ORGANIZER_MESSAGE = (
    "Google refused the change because the event on your calendar is organised by "
    "another Google account, and only its organiser may change it. Choose a calendar "
    "that belongs to the account you connected, or reconnect with the organiser's account."
)
# "403: Daily limit exceeded: the Courtesy API limit for your project has been
# reached" (Handle API errors): the whole project waits for Google's daily reset.
_DAILY_LIMIT_MESSAGE = (
    "Google's daily limit of calendar requests for LeadsCalendar has been reached. "
    "Bookings are kept and will be added after Google resets the limit at midnight "
    "US Pacific time; our team has been told."
)
_USAGE_LIMIT_MESSAGE = (
    "Google has temporarily limited your calendar because of heavy use "
    "(Calendar usage limits exceeded). Bookings are kept and will be added "
    "when Google lifts the limit, usually within a few hours."
)
_INVALID_MESSAGE = (
    "Google rejected a booking we tried to add to your calendar ({message}). "
    "Our team has been notified; the booking is kept."
)


@dataclass(frozen=True)
class GoogleOutcome:
    """One failed Google call, reduced to what the caller needs to act on it."""

    kind: Action
    operation: Operation
    message: str
    status: int | None = None
    reason: str | None = None
    retry_after: float | None = None
    not_before: datetime | None = None
    missing_scope: str | None = None
    host_message: str | None = None

    @property
    def parks(self) -> bool:
        """True when retrying cannot help until a person acts."""
        return self.kind in _PARKING


_PARKING = frozenset(
    {
        Action.NEEDS_REAUTH,
        Action.MISCONFIGURED,
        Action.PERMISSION,
        Action.CALENDAR_GONE,
        Action.INVALID,
    }
)


class GoogleCalendarError(LeadsCalendarError):
    """A Google failure surfaced to a person (the API or a dashboard page)."""

    status_code = 502

    def __init__(self, outcome: GoogleOutcome) -> None:
        super().__init__(outcome.host_message or outcome.message)
        self.outcome = outcome


class InvalidEventError(LeadsCalendarError):
    """An event we would send Google fails our own checks; never sent."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def classify(
    exc: BaseException, *, operation: Operation, now: datetime | None = None
) -> GoogleOutcome:
    """Map any exception raised by a Google call to the action the caller takes.

    ``now`` (aware) only matters for quota windows; tests pass it, callers don't.
    """
    if isinstance(exc, HttpError) and exc.resp is not None:
        # (BatchError is an HttpError that may carry no response at all.)
        return _classify_http(exc, operation, now or datetime.now(UTC))
    if isinstance(exc, RefreshError):
        return _classify_refresh(exc, operation)
    if isinstance(exc, TimeoutError):  # socket.timeout is an alias since 3.10
        return GoogleOutcome(Action.BACKOFF, operation, "Timed out waiting for Google.")
    if isinstance(exc, httplib2.ServerNotFoundError):
        return GoogleOutcome(Action.BACKOFF, operation, "Could not resolve Google's host name.")
    if isinstance(exc, TransportError | OSError | http.client.HTTPException):
        # TransportError: google-auth could not reach the token endpoint.
        # OSError covers ConnectionError, refused and reset connections, TLS errors.
        return GoogleOutcome(Action.BACKOFF, operation, f"Network error: {type(exc).__name__}.")
    if isinstance(exc, httplib2.HttpLib2Error):
        return GoogleOutcome(Action.UNKNOWN, operation, f"HTTP client error: {type(exc).__name__}.")
    return GoogleOutcome(Action.UNKNOWN, operation, f"Unexpected error: {type(exc).__name__}.")


def _classify_http(exc: HttpError, operation: Operation, now: datetime) -> GoogleOutcome:
    status = int(exc.resp.status)
    reason, domain, message = _parse_error_body(exc.content)
    # httplib2 says "Ok" when it knows no reason phrase, so prefer the standard one.
    message = message or _status_phrase(status)
    kind, extra = _decide(status, reason, domain, message, operation, now, exc)
    return GoogleOutcome(
        kind,
        operation,
        message,
        status=status,
        reason=reason,
        retry_after=parse_retry_after(exc.resp.get("retry-after"), now=now),
        **extra,
    )


def _decide(
    status: int,
    reason: str | None,
    domain: str | None,
    message: str,
    operation: Operation,
    now: datetime,
    exc: HttpError,
) -> tuple[Action, dict[str, Any]]:
    """The action for an HTTP error, plus the outcome fields only that action fills."""
    invalid = {"host_message": _INVALID_MESSAGE.format(message=message)}
    if status == 409 and operation is Operation.EVENT_INSERT:
        return Action.DUPLICATE, {}
    if status == 401:
        return Action.REFRESH_AND_RETRY, {}
    if status == 429 or reason in _RATE_LIMIT_REASONS:
        return Action.BACKOFF, {}
    if status == 403:
        return _decide_403(reason, domain, message, operation, now, exc)
    if status == 404:
        if operation in _EVENT_OPERATIONS:
            return Action.EVENT_GONE, {}
        # Google documents a 404 as "the specified resource was not found" and its
        # suggested action is "use exponential backoff": a calendar can be briefly
        # not found. CALENDAR_GONE callers retry a few times before asking the host.
        return Action.CALENDAR_GONE, {"host_message": _CALENDAR_GONE_MESSAGE}
    if status == 410:
        # "Sync token is no longer valid, a full sync is required" (Calendar API,
        # Synchronize resources efficiently): on events.list any 410 means the
        # sync or page token expired; throw it away and list the calendar again.
        # Otherwise 410 "deleted" ("Resource has been deleted"): on an insert it
        # means our deterministic id belonged to an event that was deleted for
        # good, which the insert handler deals with on purpose (restore it, or a
        # fresh id).
        if reason in _SYNC_REASONS or operation is Operation.EVENT_LIST:
            return Action.RESYNC, {}
        return Action.EVENT_GONE, {}
    if status == 412:
        return Action.PRECONDITION, {}
    if status == 400:
        return Action.INVALID, invalid
    if status in (408, 500, 502, 503, 504):
        return Action.BACKOFF, {}
    return Action.UNKNOWN, {}


def _decide_403(
    reason: str | None,
    domain: str | None,
    message: str,
    operation: Operation,
    now: datetime,
    exc: HttpError,
) -> tuple[Action, dict[str, Any]]:
    if reason == "dailyLimitExceeded":
        return Action.BACKOFF_UNTIL, {
            "not_before": next_quota_reset(now),
            "host_message": _DAILY_LIMIT_MESSAGE,
        }
    if reason == "quotaExceeded":
        return Action.BACKOFF_LONG, {"host_message": _USAGE_LIMIT_MESSAGE}
    if reason in _SCOPE_REASONS or _www_authenticate_error(exc) == "insufficient_scope":
        scope = _SCOPE_FOR_OPERATION.get(operation, scopes.EVENTS_OWNED)
        purpose = scopes.SCOPE_PURPOSES.get(scope, scope)
        return Action.NEEDS_REAUTH, {
            "missing_scope": scope,
            "host_message": _SCOPE_MESSAGE.format(purpose=purpose),
        }
    if domain == "usageLimits":
        # An undocumented usage-limit reason is still "slow down", never "not allowed".
        return Action.BACKOFF, {}
    if reason == _NON_ORGANIZER_REASON:
        return Action.PERMISSION, {"host_message": _NON_ORGANIZER_MESSAGE}
    # requiredAccessLevel, forbidden, forbiddenForServiceAccounts,
    # notACalendarUser and whatever comes next.
    return Action.PERMISSION, {"host_message": _PERMISSION_MESSAGE.format(message=message)}


def _parse_error_body(content: bytes) -> tuple[str | None, str | None, str | None]:
    """(reason, domain, message) of Google's JSON error body; Nones for anything else.

    Google's newer bodies put the reason in ``details[].reason`` (ErrorInfo) as
    well; the v1 ``errors[0].reason`` is what the Calendar docs document, so it
    wins when both are present.
    """
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        text = content.decode("utf-8", "replace").strip()
        if text.startswith("<") or not text:
            return None, None, None  # an HTML page from a proxy says nothing useful
        return None, None, text[:_MAX_MESSAGE]
    if isinstance(data, list) and data:
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, None, None
    message = error.get("message")
    reason = domain = None
    errors = error.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = errors[0].get("reason")
        domain = errors[0].get("domain")
        message = message or errors[0].get("message")
    if reason is None:
        for detail in error.get("details") or ():
            if isinstance(detail, dict) and detail.get("reason"):
                reason, domain = detail["reason"], detail.get("domain")
                break
    return (
        reason if isinstance(reason, str) else None,
        domain if isinstance(domain, str) else None,
        message[:_MAX_MESSAGE] if isinstance(message, str) else None,
    )


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _www_authenticate_error(exc: HttpError) -> str | None:
    header = exc.resp.get("www-authenticate") or ""
    for part in header.replace("Bearer ", "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "error":
            return value.strip('"')
    return None


def _classify_refresh(exc: RefreshError, operation: Operation) -> GoogleOutcome:
    """Classify a failed token refresh from the token endpoint's error body.

    google-auth raises ``RefreshError(f"{error}: {error_description}", body)``;
    without a body (no refresh token stored, say) only the text is there.
    """
    body = next((arg for arg in exc.args[1:] if isinstance(arg, dict)), None)
    text = str(exc.args[0]) if exc.args else ""
    if body is not None:
        error = str(body.get("error") or "")
        description = str(body.get("error_description") or error or "Token refresh failed.")
    else:
        error, _, rest = text.partition(":")
        error = error.strip() if " " not in error.strip() else ""
        description = rest.strip() if error else "Token refresh failed."
    message = description[:_MAX_MESSAGE]
    if error in _GRANT_ERRORS:
        return GoogleOutcome(
            Action.NEEDS_REAUTH, operation, message, reason=error, host_message=_REAUTH_MESSAGE
        )
    if error in _CLIENT_ERRORS:
        return GoogleOutcome(Action.MISCONFIGURED, operation, message, reason=error)
    if error in _TRANSIENT_TOKEN_ERRORS or getattr(exc, "retryable", False):
        return GoogleOutcome(Action.BACKOFF, operation, message, reason=error or None)
    if "refresh_token" in text and "necessary fields" in text:
        # google-auth's own complaint: we hold no refresh token at all.
        return GoogleOutcome(
            Action.NEEDS_REAUTH,
            operation,
            "No refresh token is stored for this connection.",
            host_message=_REAUTH_MESSAGE,
        )
    return GoogleOutcome(Action.UNKNOWN, operation, message, reason=error or None)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # RFC 9110 dates are GMT
    return max(0.0, (when - now).total_seconds())


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in US Pacific time, when Google's daily quotas reset."""
    local = now.astimezone(QUOTA_RESET_ZONE)
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=QUOTA_RESET_ZONE)
