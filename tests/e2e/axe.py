"""axe-core in the browser tests: a page passes with no violation of WCAG 2.1 A and AA.

axe-core's script is the one ``axe-playwright-python`` bundles, injected by
Playwright (which the page's Content-Security-Policy does not restrict), so
the check needs no network.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# The WCAG 2.0/2.1 A and AA rules plus axe's best practices (landmarks, one h1, heading order).
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
_AXE = Axe()


def assert_accessible(page: Page) -> None:
    """Fail with axe's readable report if the page as it stands now has any violation."""
    page.wait_for_load_state()
    results = _AXE.run(
        page,
        options={"runOnly": {"type": "tag", "values": RULE_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
