"""The one error base class of the application.

Expected failures carry an HTTP status and a message fit to show a user; the
web layer renders them as JSON under ``/api`` and as a page elsewhere.
"""

from __future__ import annotations


class LeadsCalendarError(Exception):
    """A failure we expected and can explain to the person who caused it."""

    status_code: int = 400

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code

    def details(self) -> dict[str, object]:
        """Extra machine-readable fields for the API's error body (none by default)."""
        return {}


class ConfigurationError(LeadsCalendarError):
    """The process cannot start: a setting is missing or wrong."""

    status_code = 500


class NotFoundError(LeadsCalendarError):
    status_code = 404


class PermissionDeniedError(LeadsCalendarError):
    status_code = 403


class ConflictError(LeadsCalendarError):
    status_code = 409


class RateLimitedError(LeadsCalendarError):
    """Too many requests: answered with 429 and a ``Retry-After`` header."""

    status_code = 429

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)

    def details(self) -> dict[str, object]:
        return {"retry_after_seconds": self.retry_after_seconds}
