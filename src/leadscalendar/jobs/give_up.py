"""When a retry stops being worth it: the same failure, attempt after attempt.

Some failures are "probably passing, possibly a person's problem" (Google
advises backing off on a 404, yet a calendar may really be gone). A handler
says so with ``Retry(give_up_after=N, give_up=Park(...))``; this counts the
attempts in a row that ended in the same failure and swaps in the park.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadscalendar.jobs import repository
from leadscalendar.jobs.models import AttemptOutcome
from leadscalendar.jobs.outcomes import ClaimedJob, Park, Retry


def give_up_instead(session: Session, claim: ClaimedJob, retry: Retry) -> Park | None:
    """``retry.give_up`` when this is the ``give_up_after``-th attempt in a row failing alike.

    Counted from the attempts recorded since the job was last (re)started, so
    a host's fix that resumes the job gives it the whole allowance again.
    """
    limit = retry.give_up_after
    if retry.give_up is None or limit is None:
        return None
    if limit <= 1:
        return retry.give_up
    if claim.attempt < limit:
        return None
    previous = repository.latest_attempts(session, claim.id, limit - 1)
    alike = all(
        attempt.outcome is AttemptOutcome.RETRY
        and attempt.operation == retry.operation
        and attempt.http_status == retry.http_status
        and attempt.reason_code == retry.reason_code
        for attempt in previous
    )
    return retry.give_up if alike and len(previous) == limit - 1 else None
