"""The outbound webhooks domain's expected failures."""

from __future__ import annotations

from leadscalendar.errors import NotFoundError


class EndpointNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("There is no such webhook endpoint.")


class DeliveryNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("There is no such webhook delivery.")
