"""A real receiver on loopback (the sandbox's), and the app with a fast worker."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from leadscalendar.config import Settings
from leadscalendar.db.session import unit_of_work
from leadscalendar.sandbox.receiver import ReceiverStore
from leadscalendar.webhooks_out import service
from leadscalendar.webhooks_out.models import EventType, WebhookEndpoint
from leadscalendar.webhooks_out.schemas import EndpointIn
from tests.support.bookings_env import BookingsEnv
from tests.support.webhook_receiver import RunningReceiver


@dataclass
class Receiver:
    url: str
    store: ReceiverStore

    def subscribe(
        self, env: BookingsEnv, *events: EventType, path: str = "main"
    ) -> WebhookEndpoint:
        """An endpoint of the env's host pointing here; the receiver learns its secret."""
        with unit_of_work(env.services.session_factory) as session:
            created = service.create_endpoint(
                session,
                env.services.cipher,
                env.settings,
                env.host_id,
                EndpointIn(url=f"{self.url}/hooks/{path}", event_types=list(events or EventType)),
            )
            session.expunge(created.endpoint)
        self.store.secret = created.secret
        return created.endpoint


@pytest.fixture
def receiver(webhook_receiver: RunningReceiver) -> Receiver:
    return Receiver(webhook_receiver.url, webhook_receiver.store)


@pytest.fixture
def app_settings(receiver_app_settings: Settings) -> Settings:
    return receiver_app_settings


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing: None) -> None:
    """Every test here logs a host in; see ``bookings_env.cheap_password_hashing``."""
