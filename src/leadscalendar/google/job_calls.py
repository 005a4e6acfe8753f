"""The one way a job handler calls Google: ``with calling_google(operation, policy) as call``.

Every handler that calls Google climbed the same ladder: the host is not
connected, or their grant is gone (re-authorisation), or the call failed and
``classify`` says how; then each rung mapped to what the job does next.
Written out per handler, the rungs drifted (one forgot the not-connected
case, one classified twice). Here the ladder is climbed once; what each rung
means for a job is the domain's ``FailurePolicy`` (the bookings' calendar jobs
park with a reason on the booking; calendar sync retries or stops quietly).

The block's exception is swallowed and kept on the ``GoogleCall``: the handler
first checks the answers only it can judge (409 on our own id, 410 on a
deleted event) on ``call.failure``, then returns ``call.answer()``, the
policy's outcome, which is only computed when asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from leadscalendar.google.errors import Action, GoogleOutcome, Operation, classify
from leadscalendar.google.exceptions import NotConnectedError, ReauthorizationRequiredError

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


class FailurePolicy(Protocol[T_co]):
    """What a domain's job does on each rung of the ladder."""

    def not_connected(self) -> T_co:
        """The host never connected Google Calendar, or disconnected it."""
        ...

    def needs_reauth(self, reason: str | None) -> T_co:
        """The host's grant is already known to be gone: only reconnecting helps."""
        ...

    def failed(self, failure: GoogleOutcome) -> T_co:
        """Google (or the way to it) failed, as ``google.errors.classify`` says."""
        ...


@dataclass
class GoogleCall(Generic[T]):
    """What one guarded block of Google calls came to."""

    operation: Operation
    policy: FailurePolicy[T]
    # What the block raised; None when it ran through.
    error: Exception | None = None
    # Its classification, for failures Google (or the network) answered; None for a
    # host not connected or a grant already known to be gone.
    failure: GoogleOutcome | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def failed_with(self, *kinds: Action) -> bool:
        """True when the block failed with one of ``kinds`` (the handler's own cases)."""
        return self.failure is not None and self.failure.kind in kinds

    def answer(self) -> T:
        """The policy's outcome for the failure (call only when ``failed``)."""
        error = self.error
        if isinstance(error, NotConnectedError):
            return self.policy.not_connected()
        if isinstance(error, ReauthorizationRequiredError):
            return self.policy.needs_reauth(error.reason)
        if self.failure is None:
            raise RuntimeError("GoogleCall.answer() asked of a call that did not fail")
        return self.policy.failed(self.failure)


@contextmanager
def calling_google(operation: Operation, policy: FailurePolicy[T]) -> Iterator[GoogleCall[T]]:
    """Run a block of Google calls; any exception is kept (and classified), never raised.

    ``operation`` names the call for ``classify`` (a 404 on an event is not a
    404 on a calendar); a block making several calls opens one ``calling_google``
    per call.
    """
    call: GoogleCall[T] = GoogleCall(operation, policy)
    try:
        yield call
    except (NotConnectedError, ReauthorizationRequiredError) as error:
        call.error = error
    except Exception as error:  # every failure is classified; none escapes
        call.error = error
        call.failure = classify(error, operation=operation)


class Quietly:
    """The policy of a call whose failure is only logged, never a job's outcome.

    (Stopping a channel, starting an optional one: the channel lapses, or the
    polling clock covers the calendar meanwhile.) Every rung answers None.
    """

    def not_connected(self) -> None:
        return None

    def needs_reauth(self, reason: str | None) -> None:
        return None

    def failed(self, failure: GoogleOutcome) -> None:
        return None


QUIETLY = Quietly()
