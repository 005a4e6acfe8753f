"""``leadscalendar demo``: the whole product on loopback, offline, in one command.

Runs the Google sandbox and the app in one process (one uvicorn server per
thread), with SQLite in a data directory and a demo host ready to log in.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import uvicorn

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts import service as accounts
from leadscalendar.config import Settings
from leadscalendar.db import migrate
from leadscalendar.db.session import unit_of_work
from leadscalendar.sandbox.google import SandboxConfig, create_sandbox_app
from leadscalendar.services import build_services
from leadscalendar.web.app import create_app

logger = logging.getLogger(__name__)

DEMO_EMAIL = "demo@leadscalendar.test"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed on screen for the demo on purpose
DEMO_SLUG = "demo"


def demo_settings(port: int, data_dir: str) -> Settings:
    google = f"http://127.0.0.1:{port + 1}"
    return Settings(
        data_dir=Path(data_dir),
        public_url=f"http://127.0.0.1:{port}",
        google_auth_uri=f"{google}/o/oauth2/v2/auth",
        google_token_uri=f"{google}/token",
        google_revoke_uri=f"{google}/revoke",
        google_userinfo_uri=f"{google}/oauth2/v3/userinfo",
        google_api_base=f"{google}/",
    )


def _ensure_demo_host(settings: Settings) -> None:
    services = build_services(settings)
    with unit_of_work(services.session_factory) as session:
        if accounts_repository.get_host_by_email(session, DEMO_EMAIL) is None:
            accounts.create_host(
                session,
                email=DEMO_EMAIL,
                name="Demo Host",
                slug=DEMO_SLUG,
                password=DEMO_PASSWORD,
                timezone="Europe/Paris",
            )
    services.engine.dispose()


def _start_in_thread(server: uvicorn.Server) -> threading.Thread:
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("A demo server failed to start; is its port already taken?")
        time.sleep(0.05)
    return thread


def run_demo(port: int, data_dir: str) -> None:
    settings = demo_settings(port, data_dir)
    migrate.upgrade(settings.resolved_database_url)
    _ensure_demo_host(settings)
    sandbox = uvicorn.Server(
        uvicorn.Config(
            create_sandbox_app(
                SandboxConfig(
                    client_id=settings.google_client_id,
                    client_secret=settings.google_client_secret,
                    redirect_uris=(settings.google_redirect_uri,),
                )
            ),
            host="127.0.0.1",
            port=port + 1,
            log_level="warning",
        )
    )
    _start_in_thread(sandbox)
    print(  # noqa: T201 - the demo talks to a person
        "\nLeadsCalendar demo is running (Ctrl-C stops everything).\n"
        f"  Dashboard:       {settings.public_url}/dashboard\n"
        f"                   log in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
        f"  Google sandbox:  http://127.0.0.1:{port + 1}/_sandbox/calendar\n",
        flush=True,
    )
    try:
        uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    finally:
        sandbox.should_exit = True
