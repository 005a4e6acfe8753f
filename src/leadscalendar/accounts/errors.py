"""Failures of the accounts domain."""

from __future__ import annotations

from leadscalendar.errors import ConflictError, LeadsCalendarError


class InvalidCredentialsError(LeadsCalendarError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__("That e-mail and password do not match an account.")


class WrongPasswordError(LeadsCalendarError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__("Your current password is not right, so nothing was changed.")


class HostAlreadyExistsError(ConflictError):
    pass
