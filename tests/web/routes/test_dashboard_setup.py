"""The setup checklist over real HTTP against the Google sandbox: progress comes from what
exists, each step's page returns to the checklist, and a new host lands on it."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.models import Host
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from tests.support.app_env import ConnectedApp, csrf_from, log_in
from tests.support.dashboard import submit, type_form

SETUP = "/dashboard/setup"
NEW_EMAIL = "new@example.com"
NEW_PASSWORD = "a long enough passphrase"
HOURS = {"timezone": "Europe/Paris", "day0_from_0": "09:00", "day0_to_0": "17:00"}


def progress_of(html: str) -> str:
    match = re.search(r'<p id="setup-progress">([^<]*)</p>', html)
    assert match, html
    return match.group(1)


def host_named(app: ConnectedApp, email: str) -> Host:
    with app.services.session_factory() as session:
        host = session.scalar(select(Host).where(Host.email == email))
        assert host is not None
        return host


@pytest.fixture
def new_host(google_app: ConnectedApp) -> httpx.Client:
    """A host as sign-up leaves one (address confirmed), logged in on a client of its own."""
    with unit_of_work(google_app.services.session_factory) as session:
        host = accounts.create_host(
            session,
            email=NEW_EMAIL,
            name="Lena",
            slug="lena",
            password=NEW_PASSWORD,
            timezone="Europe/Berlin",
            verified=False,
        )
        host.email_verified_at = utcnow()
    return httpx.Client(base_url=google_app.url, follow_redirects=True, timeout=15)


def test_each_step_done_on_its_own_page_returns_to_the_checklist_until_the_link_is_live(
    google_app: ConnectedApp,
) -> None:
    client = google_app.client
    page = client.get(SETUP)
    assert page.status_code == 200
    # An operator's host has its zone; nothing else exists yet.
    assert progress_of(page.text) == "1 of 6 steps done"
    assert 'id="setup-complete"' not in page.text

    consent = client.post(
        "/dashboard/google/connect",
        data={"csrf_token": csrf_from(page.text), "next": SETUP},
        follow_redirects=False,
    )
    back = client.get(google_app.sandbox.consent(consent.headers["location"]))
    assert back.url.path == SETUP
    assert progress_of(back.text) == "2 of 6 steps done"

    picker = client.get(f"/dashboard/google/calendar?next={SETUP}")
    assert f'name="next" value="{SETUP}"' in picker.text
    chosen = client.post(
        "/dashboard/google/calendar",
        data={
            "csrf_token": csrf_from(picker.text),
            "calendar_id": "host@sandbox.test",
            "next": SETUP,
        },
    )
    assert chosen.url.path == SETUP
    assert progress_of(chosen.text) == "3 of 6 steps done"

    hours_page = client.get(f"/dashboard/hours?next={SETUP}")
    assert f'name="next" value="{SETUP}"' in hours_page.text
    saved = submit(
        client,
        f"/dashboard/hours?next={SETUP}",
        "/dashboard/hours",
        {**HOURS, "next": SETUP},
        follow=True,
    )
    assert saved.url.path == SETUP
    assert progress_of(saved.text) == "4 of 6 steps done"

    created = submit(
        client,
        f"/dashboard/types/new?next={SETUP}",
        "/dashboard/types",
        {**type_form(), "next": SETUP},
        follow=True,
    )
    assert created.url.path == SETUP
    assert progress_of(created.text) == "6 of 6 steps done"
    assert 'id="setup-complete"' in created.text
    assert f'value="{google_app.services.settings.public_url.rstrip("/")}/coach"' in created.text
    assert 'id="setup-card"' not in client.get("/dashboard").text


def test_a_new_host_lands_on_the_checklist_after_logging_in_until_they_skip_it(
    google_app: ConnectedApp, new_host: httpx.Client
) -> None:
    with new_host:
        page = new_host.get("/login")
        landed = new_host.post(
            "/login",
            data={"email": NEW_EMAIL, "password": NEW_PASSWORD, "csrf_token": csrf_from(page.text)},
        )
        assert landed.url.path == SETUP
        assert progress_of(landed.text) == "0 of 6 steps done"
        skipped = new_host.post(f"{SETUP}/dismiss", data={"csrf_token": csrf_from(landed.text)})
        assert skipped.url.path == "/dashboard"
        # The way back stays on the dashboard.
        assert 'id="continue-setup"' in skipped.text
        assert host_named(google_app, NEW_EMAIL).onboarding_dismissed_at is not None
        new_host.post("/logout", data={"csrf_token": csrf_from(skipped.text)})
        log_in(new_host, NEW_EMAIL, NEW_PASSWORD)
        assert new_host.get("/dashboard").url.path == "/dashboard"


def test_the_zone_step_keeps_a_listed_zone_and_refuses_anything_else(
    google_app: ConnectedApp, new_host: httpx.Client
) -> None:
    with new_host:
        log_in(new_host, NEW_EMAIL, NEW_PASSWORD)
        page = new_host.get(SETUP)
        assert "data-detect" in page.text
        refused = new_host.post(
            f"{SETUP}/timezone",
            data={"csrf_token": csrf_from(page.text), "timezone": "Mars/Olympus"},
        )
        assert "Pick your time zone from the list." in refused.text
        assert host_named(google_app, NEW_EMAIL).timezone_confirmed_at is None
        kept = new_host.post(
            f"{SETUP}/timezone",
            data={"csrf_token": csrf_from(refused.text), "timezone": "America/New_York"},
        )
        assert progress_of(kept.text) == "1 of 6 steps done"
        host = host_named(google_app, NEW_EMAIL)
        assert host.timezone == "America/New_York"
        assert host.timezone_confirmed_at is not None


def test_a_step_returns_only_to_the_checklist_never_to_an_address_of_the_form(
    google_app: ConnectedApp,
) -> None:
    elsewhere = "https://evil.example/"
    page = google_app.client.get(f"/dashboard/hours?next={elsewhere}")
    assert 'name="next"' not in page.text
    saved = submit(
        google_app.client, "/dashboard/hours", "/dashboard/hours", {**HOURS, "next": elsewhere}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/dashboard/hours"
