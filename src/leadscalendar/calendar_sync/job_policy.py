"""What a calendar-sync job does when its Google call fails (a ``google.job_calls`` policy).

A sync is a mirror, not a promise to a lead: a host who is not connected has
nothing to sync (the job ends quietly), a failure only a person can fix parks
(or, for a channel renewal, lets the channel lapse: the polling clock keeps the
calendar fresh), and everything else is transient and retried for as long as
it takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadscalendar.calendar_sync.park_codes import SyncParkCode
from leadscalendar.google.errors import GoogleOutcome
from leadscalendar.jobs import Outcome, Park, Retry, Succeeded


@dataclass(frozen=True)
class SyncJobPolicy:
    """``not_connected_detail`` ends a job whose host is not connected.

    ``park_code`` None (a channel renewal): a failure a person must fix ends the
    job too, and the channel lapses.
    """

    not_connected_detail: str
    park_code: SyncParkCode | None

    def not_connected(self) -> Outcome:
        return Succeeded(self.not_connected_detail)

    def needs_reauth(self, reason: str | None) -> Outcome:
        return Succeeded(self.not_connected_detail)

    def failed(self, failure: GoogleOutcome) -> Outcome:
        if failure.parks:
            if self.park_code is None:
                return Succeeded(f"not renewed: {failure.message}")
            return Park(
                self.park_code,
                failure.host_message or failure.message,
                http_status=failure.status,
                reason_code=failure.reason,
                operation=failure.operation.value,
            )
        return Retry(
            failure.message,
            retry_after=failure.retry_after,
            not_before=failure.not_before,
            http_status=failure.status,
            reason_code=failure.reason,
            operation=failure.operation.value,
            transient=True,
        )
