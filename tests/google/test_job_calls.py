"""google.job_calls: the one ladder a job climbs when a Google call fails."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from google.auth.exceptions import RefreshError

from leadscalendar.google.errors import Action, GoogleOutcome, Operation
from leadscalendar.google.exceptions import NotConnectedError, ReauthorizationRequiredError
from leadscalendar.google.job_calls import QUIETLY, calling_google
from tests.google.test_errors import google_body, http_error


@dataclass(frozen=True)
class Words:
    """A policy answering with which rung it was asked about."""

    def not_connected(self) -> str:
        return "not connected"

    def needs_reauth(self, reason: str | None) -> str:
        return f"reauth: {reason}"

    def failed(self, failure: GoogleOutcome) -> str:
        return f"failed: {failure.kind.value} {failure.status}"


def test_a_call_that_works_has_no_failure_and_no_answer() -> None:
    with calling_google(Operation.EVENT_INSERT, Words()) as call:
        result = 42
    assert result == 42
    assert not call.failed and call.failure is None and call.error is None
    with pytest.raises(RuntimeError):
        call.answer()


def test_a_host_not_connected_and_a_grant_gone_are_their_own_rungs() -> None:
    with calling_google(Operation.TOKEN_REFRESH, Words()) as call:
        raise NotConnectedError()
    assert call.failed and call.failure is None
    assert call.answer() == "not connected"
    with calling_google(Operation.TOKEN_REFRESH, Words()) as call:
        raise ReauthorizationRequiredError("invalid_grant")
    assert call.failure is None
    assert call.answer() == "reauth: invalid_grant"


def test_every_other_failure_is_classified_once_for_the_handler_and_the_policy() -> None:
    error = http_error(409, google_body(409, "duplicate", "The requested identifier exists."))
    with calling_google(Operation.EVENT_INSERT, Words()) as call:
        raise error
    assert call.error is error
    assert call.failure is not None and call.failure.operation is Operation.EVENT_INSERT
    assert call.failed_with(Action.DUPLICATE) and not call.failed_with(Action.BACKOFF)
    assert call.answer() == "failed: duplicate 409"
    with calling_google(Operation.TOKEN_REFRESH, Words()) as call:
        raise RefreshError("invalid_grant: Token has been expired or revoked.")
    assert call.failed_with(Action.NEEDS_REAUTH)


def test_the_quiet_policy_answers_nothing_but_keeps_the_failure_to_log() -> None:
    with calling_google(Operation.CHANNEL_STOP, QUIETLY) as call:
        raise TimeoutError()
    assert call.answer() is None
    assert call.failed_with(Action.BACKOFF)
