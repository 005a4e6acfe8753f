"""Browser tests: Playwright driving the system's Chromium (never a downloaded browser).

``playwright install`` must never run: the browser is Debian's ``chromium``
package (``.ci/run`` installs it). Screenshots taken with the ``screenshot``
fixture land in ``test-artifacts/`` at the repository root (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: dict[str, int] = {"width": 1280, "height": 900}
# An iPhone 12/13/14-sized screen.
PHONE: dict[str, int] = {"width": 390, "height": 844}
# Playwright waits this long for the page to reach an expected state.
EXPECT_TIMEOUT_MS = 20_000

Screenshot = Callable[[Page, str], Path]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    path = chromium_path()
    if path is None:
        message = "no system Chromium: apt-get install chromium (never `playwright install`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    """Desktop by default; ``@pytest.mark.parametrize("viewport", [PHONE])`` for a phone."""
    return DESKTOP


@pytest.fixture
def lead_time_zone() -> str:
    """The browser's time zone, which the booking page detects."""
    return "America/New_York"


@pytest.fixture
def page(browser: Browser, viewport: dict[str, int], lead_time_zone: str) -> Iterator[Page]:
    options: dict[str, Any] = {
        "viewport": viewport,
        "timezone_id": lead_time_zone,
        "locale": "en-US",
        "is_mobile": viewport["width"] < 600,
        "has_touch": viewport["width"] < 600,
    }
    context = browser.new_context(**options)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """Save a full-page screenshot as ``test-artifacts/<test>-<step>.png``."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def take(page: Page, step: str) -> Path:
        path = ARTIFACTS_DIR / f"{test_name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
