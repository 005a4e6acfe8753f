"""Signed links that let a lead see, cancel or reschedule their booking without an account."""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, URLSafeSerializer

from leadscalendar.errors import PermissionDeniedError

SALT = "leadscalendar.booking-link"


class BookingLinks:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)

    def token_for(self, booking_id: uuid.UUID) -> str:
        return str(self._serializer.dumps(str(booking_id)))

    def verify(self, booking_id: uuid.UUID, token: str) -> None:
        """Raise unless ``token`` was issued for exactly this booking."""
        try:
            signed = self._serializer.loads(token)
        except BadSignature:
            raise PermissionDeniedError("This booking link is not valid.") from None
        if signed != str(booking_id):
            raise PermissionDeniedError("This booking link is not valid.")
