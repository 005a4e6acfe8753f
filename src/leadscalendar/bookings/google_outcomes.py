"""Google's classified failures, turned into what the calendar jobs should do.

``google.errors.classify`` knows Google and ``google.job_calls`` climbs the
ladder; this module knows our jobs and our host: which failures wait
(backoff), which park until the host acts, and the words the host sees on the
booking (``CalendarJobPolicy``).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from leadscalendar.bookings.job_effects import (
    MarkConnectionNeedsReauth,
    NoteDelay,
    NoteOnBooking,
)
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.db.base import utcnow
from leadscalendar.google.errors import Action, GoogleOutcome
from leadscalendar.jobs import Effect, Park, Retry

logger = logging.getLogger(__name__)

# Google's "Calendar usage limits exceeded" lifts after hours, not seconds.
USAGE_LIMIT_BACKOFF = timedelta(hours=1)
# Attempts in a row answering 404 for the target calendar before the host is asked.
CALENDAR_NOT_FOUND_TRIES = 4
# Attempts in a row where Google refused a freshly refreshed token before re-consent.
PERSISTENT_401_TRIES = 3
PRIMARY_CALENDAR = "primary"


SLOW_PHASE_REASON = (
    "Google Calendar has not been accepting this change for a while. The booking is "
    "kept: LeadsCalendar keeps trying every 15 to 30 minutes and adds it by itself as "
    "soon as Google answers again."
)
PRIMARY_NOT_FOUND_REASON = (
    "Google says the main calendar of the connected account no longer exists, which "
    "happens when Google Calendar is turned off for that account. Reconnect with an "
    "account that uses Google Calendar, or pick another calendar in your settings."
)
PERSISTENT_401_REASON = "Google keeps refusing access even with a freshly renewed sign-in"


def park(
    code: ParkCode, reason: str, booking_id: uuid.UUID, outcome: GoogleOutcome | None = None
) -> Park:
    """Park with ``reason`` shown on the booking (its status reason and timeline)."""
    return Park(
        code=code,
        reason=reason,
        http_status=outcome.status if outcome else None,
        reason_code=outcome.reason if outcome else None,
        operation=outcome.operation.value if outcome else None,
        effects=(NoteOnBooking(booking_id, "calendar_parked", reason, as_reason=True),),
    )


def needs_reauth_park(booking_id: uuid.UUID, detail: str | None) -> Park:
    reason = (
        "Waiting for the host to reconnect Google Calendar"
        + (f" ({detail})" if detail else "")
        + ". The booking is kept and will be added as soon as they do."
    )
    return park(ParkCode.NEEDS_REAUTH, reason, booking_id)


def not_connected_park(booking_id: uuid.UUID) -> Park:
    return park(
        ParkCode.NOT_CONNECTED,
        "The host has not connected Google Calendar; the booking will be added once they do.",
        booking_id,
    )


def _retry(
    outcome: GoogleOutcome,
    *,
    retry_after: float | None = None,
    not_before: datetime | None = None,
    effects: tuple[Effect, ...] = (),
    **policy: Any,
) -> Retry:
    return Retry(
        reason=outcome.message,
        retry_after=retry_after,
        not_before=not_before,
        http_status=outcome.status,
        reason_code=outcome.reason,
        operation=outcome.operation.value,
        effects=effects,
        **policy,
    )


def _transient(outcome: GoogleOutcome, booking_id: uuid.UUID, **fields: Any) -> Retry:
    """A failure only time fixes: fast backoff, then slow retries for as long as it takes."""
    return _retry(
        outcome,
        transient=True,
        on_slow=(NoteDelay(booking_id, SLOW_PHASE_REASON),),
        **({"retry_after": outcome.retry_after} | fields),
    )


def _needs_reauth(outcome: GoogleOutcome, host_id: uuid.UUID, booking_id: uuid.UUID) -> Park:
    reason = (
        f"Google needs the host to allow {outcome.missing_scope}"
        if outcome.missing_scope
        else outcome.host_message or outcome.message
    )
    parked = needs_reauth_park(booking_id, reason)
    return replace(
        parked,
        http_status=outcome.status,
        reason_code=outcome.reason,
        operation=outcome.operation.value,
        effects=(MarkConnectionNeedsReauth(host_id, reason), *parked.effects),
    )


def _calendar_not_found(
    outcome: GoogleOutcome, booking_id: uuid.UUID, calendar_id: str | None
) -> Retry:
    """A 404 on a calendar: back off as Google advises, then ask the host to act.

    "Gone" is the wrong word for ``primary``, which exists as long as the account
    does: there the account has no Google Calendar (turned off by its admin).
    """
    if calendar_id == PRIMARY_CALENDAR:
        reason = PRIMARY_NOT_FOUND_REASON
    else:
        reason = outcome.host_message or (
            "The chosen Google calendar no longer exists. Pick another one in the dashboard."
        )
    return _retry(
        outcome,
        retry_after=outcome.retry_after,
        give_up_after=CALENDAR_NOT_FOUND_TRIES,
        give_up=park(ParkCode.CALENDAR_GONE, reason, booking_id, outcome),
    )


@dataclass(frozen=True)
class CalendarJobPolicy:
    """The ``google.job_calls.FailurePolicy`` of the calendar jobs: one booking's event.

    Re-authorisation parks until the host reconnects, a host who is not
    connected parks until they connect, and every other failure is mapped by
    ``job_outcome_for``. The special answers a handler decides itself (409 on
    our own id, 410 on a deleted event) are checked by the handler first.
    ``calendar_id`` is the calendar the call addressed, when it addressed one.
    """

    booking_id: uuid.UUID
    host_id: uuid.UUID
    calendar_id: str | None = None

    def not_connected(self) -> Retry | Park:
        return not_connected_park(self.booking_id)

    def needs_reauth(self, reason: str | None) -> Retry | Park:
        return needs_reauth_park(self.booking_id, reason)

    def failed(self, failure: GoogleOutcome) -> Retry | Park:
        return job_outcome_for(
            failure,
            booking_id=self.booking_id,
            host_id=self.host_id,
            calendar_id=self.calendar_id,
        )


def job_outcome_for(
    outcome: GoogleOutcome,
    *,
    booking_id: uuid.UUID,
    host_id: uuid.UUID,
    calendar_id: str | None = None,
) -> Retry | Park:
    """Map one classified failure to retry-with-backoff or park-with-a-reason.

    ``calendar_id`` is the calendar the call addressed, when it addressed one.
    """
    kind = outcome.kind
    if kind is Action.BACKOFF:
        return _transient(outcome, booking_id)
    if kind in (Action.UNKNOWN, Action.PRECONDITION):
        return _retry(outcome, retry_after=outcome.retry_after)
    if kind is Action.REFRESH_AND_RETRY:
        # google-auth has already refreshed the token and retried once: Google
        # refused a token it had just issued. Docs: "If this fails, direct the
        # user through the OAuth flow" - after a few tries, not forty calls.
        return _retry(
            outcome,
            retry_after=outcome.retry_after,
            give_up_after=PERSISTENT_401_TRIES,
            give_up=_needs_reauth(
                replace(outcome, host_message=PERSISTENT_401_REASON), host_id, booking_id
            ),
        )
    if kind in (Action.BACKOFF_UNTIL, Action.BACKOFF_LONG):
        detail = outcome.host_message or outcome.message
        if kind is Action.BACKOFF_UNTIL:
            # The project's daily quota: every host waits until it resets. An operator's matter.
            logger.error("google daily limit reached: %s", outcome.message)
        not_before = outcome.not_before or utcnow() + USAGE_LIMIT_BACKOFF
        return _transient(
            outcome, booking_id, not_before=not_before, effects=(NoteDelay(booking_id, detail),)
        )
    if kind is Action.NEEDS_REAUTH:
        return _needs_reauth(replace(outcome, host_message=None), host_id, booking_id)
    if kind is Action.PERMISSION:
        # The host_message says which permission (forbiddenForNonOrganizer has its own).
        reason = outcome.host_message or (
            "LeadsCalendar may not write to the chosen calendar. "
            "Pick a calendar you own in the dashboard."
        )
        return park(ParkCode.PERMISSION, reason, booking_id, outcome)
    if kind is Action.CALENDAR_GONE:
        return _calendar_not_found(outcome, booking_id, calendar_id)
    if kind is Action.INVALID:
        # Our validation should make this impossible: it is a bug worth an alert.
        logger.error("google refused our request as invalid: %s", outcome.message)
        reason = f"Google refused the event: {outcome.message}"
        return park(ParkCode.INVALID, reason, booking_id, outcome)
    if kind is Action.MISCONFIGURED:
        logger.error("google oauth client misconfigured: %s", outcome.message)
        reason = "LeadsCalendar's Google set-up needs an operator."
        return park(ParkCode.MISCONFIGURED, reason, booking_id, outcome)
    # DUPLICATE and EVENT_GONE are decided by the caller; reaching here is a bug.
    logger.error("unexpected google outcome %s reached the job mapping", kind.value)
    return _retry(outcome)
