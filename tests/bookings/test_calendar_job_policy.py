"""bookings.google_outcomes.CalendarJobPolicy: each rung's outcome and the effects it carries.

No servers and no database: the outcome is a value, and its effects are
named values whose fields say what will be written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from leadscalendar.bookings.google_outcomes import (
    CALENDAR_NOT_FOUND_TRIES,
    SLOW_PHASE_REASON,
    CalendarJobPolicy,
)
from leadscalendar.bookings.job_effects import (
    MarkConnectionNeedsReauth,
    NoteDelay,
    NoteOnBooking,
)
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.google.errors import Action, GoogleOutcome, Operation
from leadscalendar.jobs import Park, Retry

BOOKING, HOST = uuid.uuid4(), uuid.uuid4()
POLICY = CalendarJobPolicy(BOOKING, HOST, "team@example.com")


def test_a_grant_google_refuses_marks_the_connection_then_parks_with_the_reason() -> None:
    failure = GoogleOutcome(
        Action.NEEDS_REAUTH, Operation.EVENT_INSERT, "Token has been revoked.", 400, "invalid_grant"
    )
    parked = POLICY.failed(failure)
    assert isinstance(parked, Park) and parked.code is ParkCode.NEEDS_REAUTH
    assert (parked.http_status, parked.reason_code, parked.operation) == (
        400,
        "invalid_grant",
        "events.insert",
    )
    assert parked.effects == (
        MarkConnectionNeedsReauth(HOST, "Token has been revoked."),
        NoteOnBooking(BOOKING, "calendar_parked", parked.reason, as_reason=True),
    )
    assert [effect.name for effect in parked.effects] == [
        "google.mark_needs_reauth",
        "booking.note",
    ]


def test_a_grant_already_known_gone_and_no_connection_only_note_the_booking() -> None:
    for parked, code in (
        (POLICY.needs_reauth("invalid_grant"), ParkCode.NEEDS_REAUTH),
        (POLICY.not_connected(), ParkCode.NOT_CONNECTED),
    ):
        assert isinstance(parked, Park) and parked.code is code
        assert parked.effects == (
            NoteOnBooking(BOOKING, "calendar_parked", parked.reason, as_reason=True),
        )


def test_an_outage_writes_nothing_until_the_slow_phase_says_why() -> None:
    failure = GoogleOutcome(
        Action.BACKOFF, Operation.EVENT_INSERT, "Backend Error", 503, "backendError"
    )
    retry = POLICY.failed(failure)
    assert isinstance(retry, Retry) and retry.transient
    assert retry.effects == ()
    assert retry.on_slow == (NoteDelay(BOOKING, SLOW_PHASE_REASON),)
    assert retry.reason_code == "backendError"


def test_a_usage_limit_says_why_at_once() -> None:
    until = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    failure = GoogleOutcome(
        Action.BACKOFF_LONG,
        Operation.EVENT_INSERT,
        "Calendar usage limits exceeded.",
        403,
        "quotaExceeded",
        not_before=until,
        host_message="Google has temporarily limited your calendar.",
    )
    retry = POLICY.failed(failure)
    assert isinstance(retry, Retry) and retry.not_before == until
    assert retry.effects == (NoteDelay(BOOKING, "Google has temporarily limited your calendar."),)


def test_a_missing_calendar_retries_then_gives_up_into_a_park_on_the_booking() -> None:
    failure = GoogleOutcome(Action.CALENDAR_GONE, Operation.EVENT_INSERT, "Not Found", 404)
    retry = POLICY.failed(failure)
    assert isinstance(retry, Retry) and retry.give_up_after == CALENDAR_NOT_FOUND_TRIES
    assert retry.effects == ()
    give_up = retry.give_up
    assert give_up is not None and give_up.code is ParkCode.CALENDAR_GONE
    assert [effect.name for effect in give_up.effects] == ["booking.note"]
