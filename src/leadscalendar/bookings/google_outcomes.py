"""Google's classified failures, turned into what the job queue should do.

``google.errors.classify`` knows Google; this module knows our jobs and our
host: which failures wait (backoff), which park until the host acts, and the
words the host sees on the booking.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadscalendar.bookings import repository
from leadscalendar.bookings.models import BookingEvent
from leadscalendar.db.base import utcnow
from leadscalendar.google import repository as google_repository
from leadscalendar.google.credentials import mark_needs_reauth
from leadscalendar.google.errors import Action, GoogleOutcome
from leadscalendar.jobs import Park, ParkCode, Retry
from leadscalendar.jobs.outcomes import Effect

logger = logging.getLogger(__name__)

# Google's "Calendar usage limits exceeded" lifts after hours, not seconds.
USAGE_LIMIT_BACKOFF = timedelta(hours=1)

NOT_CONNECTED = "not_connected"
MISCONFIGURED = "misconfigured"
NOT_OURS = "not_ours"


def record_on_booking(booking_id: uuid.UUID, kind: str, detail: str, *, reason: bool) -> Effect:
    """An effect adding a timeline line (and, with ``reason``, the visible status reason)."""

    def apply(session: Session) -> None:
        booking = repository.get_booking(session, booking_id, for_update=True)
        if booking is None:
            return
        if reason:
            booking.status_reason = detail
        session.add(BookingEvent(booking_id=booking_id, kind=kind, detail=detail))

    return apply


def park(
    code: str, reason: str, booking_id: uuid.UUID, outcome: GoogleOutcome | None = None
) -> Park:
    return Park(
        code=code,
        reason=reason,
        http_status=outcome.status if outcome else None,
        google_reason=outcome.reason if outcome else None,
        operation=outcome.operation.value if outcome else None,
        apply=record_on_booking(booking_id, "calendar_parked", reason, reason=True),
    )


def needs_reauth_park(booking_id: uuid.UUID, detail: str | None) -> Park:
    reason = (
        "Waiting for the host to reconnect Google Calendar"
        + (f" ({detail})" if detail else "")
        + ". The booking is kept and will be added as soon as they do."
    )
    return park(ParkCode.NEEDS_REAUTH.value, reason, booking_id)


def not_connected_park(booking_id: uuid.UUID) -> Park:
    return park(
        NOT_CONNECTED,
        "The host has not connected Google Calendar; the booking will be added once they do.",
        booking_id,
    )


def _mark_connection_needs_reauth(host_id: uuid.UUID, reason: str, then: Effect) -> Effect:
    def apply(session: Session) -> None:
        connection = google_repository.get_connection(session, host_id, for_update=True)
        if connection is not None:
            mark_needs_reauth(connection, reason)
        then(session)

    return apply


def _retry(
    outcome: GoogleOutcome,
    *,
    retry_after: float | None = None,
    not_before: datetime | None = None,
    apply: Effect | None = None,
) -> Retry:
    return Retry(
        reason=outcome.message,
        retry_after=retry_after,
        not_before=not_before,
        http_status=outcome.status,
        google_reason=outcome.reason,
        operation=outcome.operation.value,
        apply=apply,
    )


def job_outcome_for(
    outcome: GoogleOutcome, *, booking_id: uuid.UUID, host_id: uuid.UUID
) -> Retry | Park:
    """Map one classified failure to retry-with-backoff or park-with-a-reason."""
    kind = outcome.kind
    if kind in (Action.BACKOFF, Action.UNKNOWN, Action.REFRESH_AND_RETRY, Action.PRECONDITION):
        return _retry(outcome, retry_after=outcome.retry_after)
    if kind is Action.BACKOFF_UNTIL:
        return _retry(outcome, not_before=outcome.not_before)
    if kind is Action.BACKOFF_LONG:
        detail = outcome.host_message or outcome.message
        return _retry(
            outcome,
            not_before=utcnow() + USAGE_LIMIT_BACKOFF,
            apply=record_on_booking(booking_id, "calendar_delayed", detail, reason=True),
        )
    if kind is Action.NEEDS_REAUTH:
        reason = (
            f"Google needs the host to allow {outcome.missing_scope}"
            if outcome.missing_scope
            else outcome.message
        )
        parked = needs_reauth_park(booking_id, reason)
        assert parked.apply is not None
        return replace(
            parked,
            http_status=outcome.status,
            google_reason=outcome.reason,
            operation=outcome.operation.value,
            apply=_mark_connection_needs_reauth(host_id, reason, parked.apply),
        )
    if kind is Action.PERMISSION:
        reason = outcome.host_message or (
            "LeadsCalendar may not write to the chosen calendar. "
            "Pick a calendar you own in the dashboard."
        )
        return park(ParkCode.PERMISSION.value, reason, booking_id, outcome)
    if kind is Action.CALENDAR_GONE:
        reason = outcome.host_message or (
            "The chosen Google calendar no longer exists. Pick another one in the dashboard."
        )
        return park(ParkCode.CALENDAR_GONE.value, reason, booking_id, outcome)
    if kind is Action.INVALID:
        # Our validation should make this impossible: it is a bug worth an alert.
        logger.error("google refused our request as invalid: %s", outcome.message)
        reason = f"Google refused the event: {outcome.message}"
        return park(ParkCode.INVALID.value, reason, booking_id, outcome)
    if kind is Action.MISCONFIGURED:
        logger.error("google oauth client misconfigured: %s", outcome.message)
        reason = "LeadsCalendar's Google set-up needs an operator."
        return park(MISCONFIGURED, reason, booking_id, outcome)
    # DUPLICATE and EVENT_GONE are decided by the caller; reaching here is a bug.
    logger.error("unexpected google outcome %s reached the job mapping", kind.value)
    return _retry(outcome)
