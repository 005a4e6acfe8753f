"""A real receiver on loopback (the sandbox's), and the app with a fast worker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from leadscalendar.config import Settings
from leadscalendar.db.session import unit_of_work
from leadscalendar.sandbox.receiver import ReceiverStore, create_receiver_app
from leadscalendar.webhooks_out import service
from leadscalendar.webhooks_out.models import EventType, WebhookEndpoint
from leadscalendar.webhooks_out.schemas import EndpointIn
from tests.support.bookings_env import BookingsEnv, engine_settings
from tests.support.google_sandbox import GoogleSandbox
from tests.support.live_server import live_server


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


@pytest.fixture(scope="session")
def _receiver_server() -> Iterator[tuple[str, ReceiverStore]]:
    store = ReceiverStore()
    with live_server(create_receiver_app(store)) as url:
        yield url, store


@pytest.fixture
def receiver(_receiver_server: tuple[str, ReceiverStore]) -> Receiver:
    url, store = _receiver_server
    store.reset()
    return Receiver(url, store)


@pytest.fixture
def app_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    return engine_settings(
        google_sandbox,
        database_url=database_url,
        data_dir=tmp_path,
        app_port=app_port,
        webhooks_allow_private_addresses=True,
    )


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing: None) -> None:
    """Every test here logs a host in; see ``bookings_env.cheap_password_hashing``."""
