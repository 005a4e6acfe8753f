"""classify() against real HttpError / RefreshError objects and Google's documented bodies.

The JSON bodies are those of https://developers.google.com/calendar/api/guides/errors
(and, for reasons that page does not show, bodies Google is known to send).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httplib2
import pytest
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import BatchError, HttpError

from leadscalendar.google import scopes
from leadscalendar.google.errors import (
    Action,
    GoogleCalendarError,
    Operation,
    classify,
    next_quota_reset,
    parse_retry_after,
)

NOW = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)


def google_body(
    code: int,
    reason: str,
    message: str,
    domain: str = "global",
    **location: str,
) -> dict[str, Any]:
    error: dict[str, Any] = {"domain": domain, "reason": reason, "message": message}
    error.update(location)
    return {"error": {"errors": [error], "code": code, "message": message}}


def http_error(
    status: int, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None
) -> HttpError:
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpError(resp, content, uri="https://www.googleapis.com/calendar/v3/x")


# (status, reason, message, domain, extra, operation, expected action)
DOCUMENTED: list[tuple[int, str, str, str, dict[str, str], Operation, Action]] = [
    (
        400,
        "timeRangeEmpty",
        "The specified time range is empty.",
        "calendar",
        {"locationType": "parameter", "location": "timeMax"},
        Operation.FREE_BUSY,
        Action.INVALID,
    ),
    (400, "required", "Missing end time.", "global", {}, Operation.EVENT_INSERT, Action.INVALID),
    (400, "invalid", "Invalid Value", "global", {}, Operation.EVENT_INSERT, Action.INVALID),
    (400, "badRequest", "Bad Request", "global", {}, Operation.EVENT_INSERT, Action.INVALID),
    (
        400,
        "invalidParameter",
        'Invalid value for: Invalid format: "x"',
        "global",
        {"locationType": "parameter", "location": "timeMin"},
        Operation.FREE_BUSY,
        Action.INVALID,
    ),
    (
        400,
        "eventTypeRestriction",
        "Event type cannot be changed.",
        "calendar",
        {},
        Operation.EVENT_PATCH,
        Action.INVALID,
    ),
    (
        401,
        "authError",
        "Invalid Credentials",
        "global",
        {"locationType": "header", "location": "Authorization"},
        Operation.EVENT_INSERT,
        Action.REFRESH_AND_RETRY,
    ),
    (
        403,
        "userRateLimitExceeded",
        "User Rate Limit Exceeded",
        "usageLimits",
        {},
        Operation.EVENT_INSERT,
        Action.BACKOFF,
    ),
    (
        403,
        "rateLimitExceeded",
        "Rate Limit Exceeded",
        "usageLimits",
        {},
        Operation.EVENT_INSERT,
        Action.BACKOFF,
    ),
    (
        403,
        "quotaExceeded",
        "Calendar usage limits exceeded.",
        "usageLimits",
        {},
        Operation.EVENT_INSERT,
        Action.BACKOFF_LONG,
    ),
    (
        403,
        "dailyLimitExceeded",
        "Daily Limit Exceeded",
        "usageLimits",
        {},
        Operation.EVENT_INSERT,
        Action.BACKOFF_UNTIL,
    ),
    (
        403,
        "forbiddenForNonOrganizer",
        "Shared properties can only be changed by the organizer of the event.",
        "calendar",
        {},
        Operation.EVENT_PATCH,
        Action.PERMISSION,
    ),
    (
        403,
        "requiredAccessLevel",
        "You need to have writer access to this calendar.",
        "calendar",
        {},
        Operation.EVENT_INSERT,
        Action.PERMISSION,
    ),
    (
        403,
        "forbiddenForServiceAccounts",
        "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.",
        "calendar",
        {},
        Operation.EVENT_INSERT,
        Action.PERMISSION,
    ),
    (403, "forbidden", "Forbidden", "global", {}, Operation.EVENT_DELETE, Action.PERMISSION),
    (
        403,
        "insufficientPermissions",
        "Insufficient Permission",
        "global",
        {},
        Operation.EVENT_INSERT,
        Action.NEEDS_REAUTH,
    ),
    (404, "notFound", "Not Found", "global", {}, Operation.EVENT_INSERT, Action.CALENDAR_GONE),
    (404, "notFound", "Not Found", "global", {}, Operation.FREE_BUSY, Action.CALENDAR_GONE),
    (404, "notFound", "Not Found", "global", {}, Operation.EVENT_GET, Action.EVENT_GONE),
    (404, "notFound", "Not Found", "global", {}, Operation.EVENT_PATCH, Action.EVENT_GONE),
    (404, "notFound", "Not Found", "global", {}, Operation.EVENT_DELETE, Action.EVENT_GONE),
    (
        409,
        "duplicate",
        "The requested identifier already exists.",
        "global",
        {},
        Operation.EVENT_INSERT,
        Action.DUPLICATE,
    ),
    (
        410,
        "deleted",
        "Resource has been deleted",
        "global",
        {},
        Operation.EVENT_DELETE,
        Action.EVENT_GONE,
    ),
    (
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        "calendar",
        {"locationType": "parameter", "location": "syncToken"},
        Operation.EVENT_LIST,
        Action.RESYNC,
    ),
    (
        410,
        "updatedMinTooLongAgo",
        "The requested minimum modification time lies too far in the past.",
        "calendar",
        {"locationType": "parameter", "location": "updatedMin"},
        Operation.EVENT_LIST,
        Action.RESYNC,
    ),
    (
        412,
        "conditionNotMet",
        "Precondition Failed",
        "global",
        {"locationType": "header", "location": "If-Match"},
        Operation.EVENT_PATCH,
        Action.PRECONDITION,
    ),
    (
        429,
        "rateLimitExceeded",
        "Rate Limit Exceeded",
        "usageLimits",
        {},
        Operation.EVENT_INSERT,
        Action.BACKOFF,
    ),
    (500, "backendError", "Backend Error", "global", {}, Operation.EVENT_INSERT, Action.BACKOFF),
    (503, "backendError", "Backend Error", "global", {}, Operation.FREE_BUSY, Action.BACKOFF),
]


@pytest.mark.parametrize(
    ("status", "reason", "message", "domain", "extra", "operation", "expected"),
    DOCUMENTED,
    ids=[f"{row[0]}-{row[1]}-{row[5].value}" for row in DOCUMENTED],
)
def test_documented_reasons(
    status: int,
    reason: str,
    message: str,
    domain: str,
    extra: dict[str, str],
    operation: Operation,
    expected: Action,
) -> None:
    exc = http_error(status, google_body(status, reason, message, domain, **extra))
    outcome = classify(exc, operation=operation, now=NOW)
    assert outcome.kind is expected
    assert outcome.status == status
    assert outcome.reason == reason
    assert outcome.message == message
    assert outcome.operation is operation
    assert outcome.retry_after is None


def test_documented_body_with_trailing_commas_is_still_classified_by_status() -> None:
    # The docs page prints its examples with trailing commas (not JSON); a body
    # like that must still fall back to the status, not crash.
    content = b'{"error": {"errors": [{"reason": "backendError",}], "code": 500,}}'
    outcome = classify(http_error(500, content), operation=Operation.EVENT_INSERT)
    assert outcome.kind is Action.BACKOFF
    assert outcome.reason is None


def test_409_on_patch_is_not_our_duplicate() -> None:
    body = google_body(409, "duplicate", "The requested identifier already exists.")
    outcome = classify(http_error(409, body), operation=Operation.EVENT_PATCH)
    assert outcome.kind is Action.UNKNOWN


def test_quota_exceeded_tells_the_host() -> None:
    body = google_body(403, "quotaExceeded", "Calendar usage limits exceeded.", "usageLimits")
    outcome = classify(http_error(403, body), operation=Operation.EVENT_INSERT)
    assert outcome.host_message is not None
    assert "usage limits" in outcome.host_message
    assert not outcome.parks


def test_daily_limit_waits_for_midnight_pacific() -> None:
    body = google_body(403, "dailyLimitExceeded", "Daily Limit Exceeded", "usageLimits")
    outcome = classify(http_error(403, body), operation=Operation.EVENT_INSERT, now=NOW)
    pacific = ZoneInfo("America/Los_Angeles")
    assert outcome.not_before == datetime(2026, 11, 26, tzinfo=pacific)
    assert outcome.not_before is not None and outcome.not_before.utcoffset() is not None


@pytest.mark.parametrize(
    ("now", "expected_utc"),
    [
        # 23:59 Pacific (PST, UTC-8) -> one minute later.
        (datetime(2026, 11, 26, 7, 59, tzinfo=UTC), datetime(2026, 11, 26, 8, 0, tzinfo=UTC)),
        # Exactly midnight Pacific -> the next midnight, a full day ahead.
        (datetime(2026, 11, 26, 8, 0, tzinfo=UTC), datetime(2026, 11, 27, 8, 0, tzinfo=UTC)),
        # Summer time (PDT, UTC-7).
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime(2026, 7, 2, 7, 0, tzinfo=UTC)),
        # The night clocks go back: 2026-11-01 has 25 hours in Pacific time.
        (datetime(2026, 10, 31, 20, 0, tzinfo=UTC), datetime(2026, 11, 1, 7, 0, tzinfo=UTC)),
    ],
)
def test_next_quota_reset(now: datetime, expected_utc: datetime) -> None:
    assert next_quota_reset(now) == expected_utc


def test_scope_missing_names_the_scope_for_the_operation() -> None:
    # Google's current body for a token without the scope: v1 reason plus ErrorInfo.
    body = {
        "error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "errors": [
                {
                    "message": "Insufficient Permission",
                    "domain": "global",
                    "reason": "insufficientPermissions",
                }
            ],
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                    "domain": "googleapis.com",
                    "metadata": {"service": "calendar-json.googleapis.com"},
                }
            ],
        }
    }
    outcome = classify(http_error(403, body), operation=Operation.FREE_BUSY)
    assert outcome.kind is Action.NEEDS_REAUTH
    assert outcome.missing_scope == scopes.FREEBUSY
    assert outcome.message == "Request had insufficient authentication scopes."
    assert outcome.host_message is not None and "Reconnect" in outcome.host_message


def test_scope_missing_from_error_info_only() -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                    "domain": "googleapis.com",
                }
            ],
        }
    }
    outcome = classify(http_error(403, body), operation=Operation.EVENT_INSERT)
    assert outcome.kind is Action.NEEDS_REAUTH
    assert outcome.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert outcome.missing_scope == scopes.EVENTS_OWNED


def test_scope_missing_from_www_authenticate_header() -> None:
    header = 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"'
    outcome = classify(
        http_error(403, b"", {"www-authenticate": header}), operation=Operation.CALENDAR_LIST
    )
    assert outcome.kind is Action.NEEDS_REAUTH
    assert outcome.missing_scope == scopes.CALENDARLIST_READONLY


def test_unknown_usage_limits_reason_backs_off_and_unknown_403_parks() -> None:
    limits = google_body(403, "somethingNew", "Slow down", "usageLimits")
    assert classify(http_error(403, limits), operation=Operation.EVENT_INSERT).kind is (
        Action.BACKOFF
    )
    other = google_body(403, "notACalendarUser", "The user must be signed up.", "calendar")
    outcome = classify(http_error(403, other), operation=Operation.EVENT_INSERT)
    assert outcome.kind is Action.PERMISSION
    assert outcome.parks
    assert outcome.host_message is not None and "The user must be signed up." in (
        outcome.host_message
    )


def test_html_502_from_a_proxy() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    resp = httplib2.Response({"status": "502", "content-type": "text/html"})
    resp.reason = "Bad Gateway"
    outcome = classify(HttpError(resp, html), operation=Operation.EVENT_INSERT)
    assert outcome.kind is Action.BACKOFF
    assert outcome.status == 502
    assert outcome.reason is None
    assert outcome.message == "Bad Gateway"


def test_plain_text_body_is_kept_short() -> None:
    outcome = classify(http_error(504, b"upstream timed out " * 100), operation=Operation.FREE_BUSY)
    assert outcome.kind is Action.BACKOFF
    assert len(outcome.message) <= 300


def test_empty_body_unknown_status_is_unknown() -> None:
    outcome = classify(http_error(499, b""), operation=Operation.EVENT_INSERT)
    assert outcome.kind is Action.UNKNOWN
    assert outcome.message == "HTTP 499"


def test_retry_after_delta_seconds_on_429() -> None:
    body = google_body(429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits")
    outcome = classify(
        http_error(429, body, {"retry-after": "120"}), operation=Operation.EVENT_INSERT, now=NOW
    )
    assert outcome.retry_after == 120.0


def test_retry_after_http_date_on_503() -> None:
    when = "Wed, 25 Nov 2026 12:31:30 GMT"
    body = google_body(503, "backendError", "Backend Error")
    outcome = classify(
        http_error(503, body, {"Retry-After": when}), operation=Operation.EVENT_INSERT, now=NOW
    )
    assert outcome.retry_after == 90.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("Wed, 25 Nov 2026 12:30:10 GMT", 10.0),
        ("Wed, 25 Nov 2026 12:00:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("-5", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


# --- token refresh failures, raised the way google.oauth2._client raises them ---


def refresh_error(error: str, description: str, *, retryable: bool = False) -> RefreshError:
    body = {"error": error, "error_description": description}
    return RefreshError(f"{error}: {description}", body, retryable=retryable)


def test_invalid_grant_needs_reauth() -> None:
    exc = refresh_error("invalid_grant", "Token has been expired or revoked.")
    outcome = classify(exc, operation=Operation.TOKEN_REFRESH)
    assert outcome.kind is Action.NEEDS_REAUTH
    assert outcome.reason == "invalid_grant"
    assert outcome.message == "Token has been expired or revoked."
    assert outcome.host_message is not None and outcome.parks


@pytest.mark.parametrize("error", ["invalid_client", "unauthorized_client"])
def test_client_misconfiguration_is_for_the_operator(error: str) -> None:
    outcome = classify(refresh_error(error, "Unauthorized"), operation=Operation.EVENT_INSERT)
    assert outcome.kind is Action.MISCONFIGURED
    assert outcome.parks
    assert outcome.host_message is None


def test_token_endpoint_outage_backs_off() -> None:
    exc = refresh_error("internal_failure", "Backend error", retryable=True)
    assert classify(exc, operation=Operation.TOKEN_REFRESH).kind is Action.BACKOFF


def test_refresh_error_without_body_parses_the_text() -> None:
    exc = RefreshError("invalid_grant: Bad Request")
    outcome = classify(exc, operation=Operation.TOKEN_REFRESH)
    assert outcome.kind is Action.NEEDS_REAUTH
    assert outcome.message == "Bad Request"


def test_missing_refresh_token_needs_reauth() -> None:
    exc = RefreshError(
        "The credentials do not contain the necessary fields need to refresh the access "
        "token. You must specify refresh_token, token_uri, client_id, and client_secret."
    )
    assert classify(exc, operation=Operation.TOKEN_REFRESH).kind is Action.NEEDS_REAUTH


def test_refresh_outcome_never_carries_a_token() -> None:
    body = {"error": "weird", "error_description": "nope", "access_token": "ya29.SECRET"}
    exc = RefreshError("weird: nope", body)
    outcome = classify(exc, operation=Operation.TOKEN_REFRESH)
    assert outcome.kind is Action.UNKNOWN
    assert "ya29" not in repr(outcome)


# --- the network ---


@pytest.mark.parametrize(
    "exc",
    [
        TimeoutError("timed out"),
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "reset"),
        OSError(101, "Network is unreachable"),
        httplib2.ServerNotFoundError("Unable to find the server at www.googleapis.com"),
        TransportError("connection failed"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_network_failures_back_off(exc: BaseException) -> None:
    outcome = classify(exc, operation=Operation.EVENT_INSERT)
    assert outcome.kind is Action.BACKOFF
    assert outcome.status is None


def test_malformed_batch_response_is_unknown() -> None:
    exc = BatchError("Invalid value for Content-ID: <x>")
    assert classify(exc, operation=Operation.EVENT_INSERT).kind is Action.UNKNOWN


def test_other_exceptions_are_unknown() -> None:
    assert classify(ValueError("x"), operation=Operation.EVENT_GET).kind is Action.UNKNOWN
    redirect = httplib2.RedirectLimit("too many", httplib2.Response({"status": "302"}), b"")
    assert classify(redirect, operation=Operation.EVENT_GET).kind is Action.UNKNOWN


def test_google_calendar_error_shows_the_host_message() -> None:
    body = google_body(404, "notFound", "Not Found")
    outcome = classify(http_error(404, body), operation=Operation.EVENT_INSERT)
    error = GoogleCalendarError(outcome)
    assert error.message == outcome.host_message
    assert error.outcome is outcome
    assert error.status_code == 502


def test_outcomes_are_frozen() -> None:
    outcome = classify(TimeoutError(), operation=Operation.EVENT_INSERT)
    with pytest.raises(AttributeError):
        outcome.kind = Action.UNKNOWN  # type: ignore[misc]
    assert outcome.not_before is None or outcome.not_before > NOW - timedelta(days=1)
