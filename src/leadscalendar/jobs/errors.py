"""Failures of the jobs domain that an operator or a host can cause."""

from __future__ import annotations

from leadscalendar.errors import ConflictError, NotFoundError


class JobNotFoundError(NotFoundError):
    pass


class JobStateError(ConflictError):
    """The job is not in a state that allows the operation (e.g. retrying a running job)."""
