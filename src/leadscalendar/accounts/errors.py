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


class AccountLinkError(LeadsCalendarError):
    """A verification, reset or e-mail change link that is unknown, used, or too old."""

    status_code = 400

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__(
            "This link has expired. Please ask for a new one."
            if expired
            else "This link is not valid any more: it was already used, or a newer one was sent. "
            "Please ask for a new one."
        )


class EmailNotVerifiedError(LeadsCalendarError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__("Please confirm your e-mail address first.")


class AccountDeletionRefusedError(ConflictError):
    pass
