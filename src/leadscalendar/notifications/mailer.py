"""The mailer a process uses: SMTP when ``LEADSCALENDAR_SMTP_URL`` is set, a log line when not.

The dashboard banner is the primary channel; e-mail is a courtesy that must
never be required to run LeadsCalendar, so without SMTP every message is
still queued, rendered and recorded (at INFO, recipient masked, no body),
and its job succeeds.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

from leadscalendar.config import Settings
from leadscalendar.notifications.messages import MailRenderer, mask_address
from leadscalendar.notifications.smtp import MailDeliveryError, SmtpConfig, SmtpTransport

logger = logging.getLogger(__name__)


class MailTransport(Protocol):
    @property
    def description(self) -> str: ...

    def send(self, message: EmailMessage) -> None:
        """Deliver or raise ``MailDeliveryError``."""

    def send_all(self, messages: Sequence[EmailMessage]) -> list[MailDeliveryError | None]:
        """Deliver several at once; each one's failure (or None) in order, never raised."""


class LogOnlyTransport:
    """What runs without SMTP: the message is recorded, not sent."""

    @property
    def description(self) -> str:
        return "log only (LEADSCALENDAR_SMTP_URL is not set)"

    def send(self, message: EmailMessage) -> None:
        logger.info(
            "mail.not_sent (no SMTP configured) to=%s subject=%r",
            mask_address(str(message["To"].addresses[0].addr_spec)),
            str(message["Subject"]),
        )

    def send_all(self, messages: Sequence[EmailMessage]) -> list[MailDeliveryError | None]:
        for message in messages:
            self.send(message)
        return [None for _ in messages]


@dataclass(frozen=True)
class Mailer:
    renderer: MailRenderer
    transport: MailTransport

    @property
    def sends(self) -> bool:
        return not isinstance(self.transport, LogOnlyTransport)


def build_mailer(
    settings: Settings,
    *,
    booking_token: Callable[[uuid.UUID], str] | None = None,
    account_token: Callable[[Mapping[str, Any]], str] | None = None,
) -> Mailer:
    """Parse the SMTP setting at start-up, so a typo stops the process, not the first mail.

    ``booking_token`` signs the manage link of a lead's mail (the bookings
    domain owns those links; this domain must not import it).
    """
    renderer = MailRenderer(
        mail_from=settings.mail_from,
        public_url=settings.public_url,
        booking_token=booking_token,
        account_token=account_token,
    )
    url = settings.smtp_url.get_secret_value()
    if not url:
        return Mailer(renderer, LogOnlyTransport())
    config = SmtpConfig.from_url(url, timeout_seconds=settings.smtp_timeout_seconds)
    return Mailer(renderer, SmtpTransport(config))
