"""A live SMTP server per test, and the booking environment pointed at it."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from leadscalendar.config import Settings
from tests.support.mail_server import MailServer

MAIL_FROM = "LeadsCalendar <bookings@leadscalendar.test>"


@pytest.fixture
def booking_settings(booking_settings: Settings, mail_server: MailServer) -> Settings:
    """booking_env's settings, sending mail to ``mail_server``."""
    return booking_settings.model_copy(
        update={"smtp_url": SecretStr(mail_server.url), "mail_from": MAIL_FROM}
    )
