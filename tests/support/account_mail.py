"""Account mails over a real SMTP server on loopback: deliver the queued ones, read their links."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.jobs import RetryPolicy, claim_due
from leadscalendar.jobs.runner import run_claimed
from leadscalendar.notifications import SEND_EMAIL
from tests.support.mail_server import MailServer, text_of

LINK = re.compile(r"https?://[^\s\"'<>]+\?token=[A-Za-z0-9_.%-]+")


@pytest.fixture
def settings(settings: Settings, mail_server: MailServer) -> Settings:
    """The web tests' settings, sending mail to the loopback server."""
    return settings.model_copy(update={"smtp_url": SecretStr(mail_server.url)})


def deliver(app: FastAPI) -> int:
    """Send every queued mail now, through the real send_email job; how many ran."""
    services = app.state.services
    claims = claim_due(
        services.session_factory,
        "test",
        50,
        30,
        kinds=[SEND_EMAIL],
        now=utcnow() + timedelta(hours=1),
    )
    policy = RetryPolicy(base_seconds=0.01, cap_seconds=0.01)
    registry = services.job_registry()
    for claim in claims:
        run_claimed(claim, registry, services.session_factory, policy=policy, lease_seconds=30)
    return len(claims)


def mails_to(server: MailServer, address: str) -> list[EmailMessage]:
    return [m for m in server.inbox.received() if m["To"].addresses[0].addr_spec == address]


def link_path(message: EmailMessage) -> str:
    """The mail's account link as a path and query, to follow against the test server."""
    match = LINK.search(text_of(message))
    assert match, f"no link in {message['Subject']!r}"
    parts = urlsplit(match.group(0))
    return f"{parts.path}?{parts.query}"
