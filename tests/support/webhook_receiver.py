"""The sandbox's webhook receiver on loopback, one per test session, shared by every test dir.

``webhook_receiver`` hands out the running receiver with its store emptied
(nothing received, no script, no secret, answering 200): a test subscribes
an endpoint to ``url + "/hooks/<name>"`` and sets ``store.secret`` to the
secret it was shown, so each delivery is verified as it arrives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from leadscalendar.config import Settings
from leadscalendar.sandbox.receiver import ReceiverStore, create_receiver_app
from tests.support.bookings_env import engine_settings
from tests.support.google_sandbox import GoogleSandbox
from tests.support.live_server import live_server


@dataclass(frozen=True)
class RunningReceiver:
    url: str
    store: ReceiverStore


@pytest.fixture(scope="session")
def _webhook_receiver_server() -> Iterator[RunningReceiver]:
    store = ReceiverStore()
    with live_server(create_receiver_app(store)) as url:
        yield RunningReceiver(url, store)


@pytest.fixture
def webhook_receiver(_webhook_receiver_server: RunningReceiver) -> RunningReceiver:
    _webhook_receiver_server.store.reset()
    return _webhook_receiver_server


@pytest.fixture
def receiver_app_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    """The engine's settings, allowed to deliver to the receiver on loopback (SSRF guard off)."""
    return engine_settings(
        google_sandbox,
        database_url=database_url,
        data_dir=tmp_path,
        app_port=app_port,
        webhooks_allow_private_addresses=True,
    )
