"""Security headers on every kind of response: pages, API, redirects, errors, OAuth callback."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from leadscalendar.config import Settings
from leadscalendar.web.app import create_app
from leadscalendar.web.security_headers import STRIPE_CHECKOUT_ORIGIN, SecurityPolicy
from tests.support.live_server import live_server

NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'")


def assert_security_headers(response: httpx.Response) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    for directive in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ):
        assert directive in csp, f"{response.url}: CSP lacks {directive!r}: {csp!r}"
    assert NONCE.search(csp), csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert re.search(r"form-action 'self'( |;|$)", csp)
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("x-frame-options") == "DENY"
    assert "camera=()" in headers.get("permissions-policy", "")
    assert headers.get("referrer-policy") in ("strict-origin-when-cross-origin", "no-referrer")
    assert "strict-transport-security" not in headers  # plain-http public_url in these tests


@pytest.fixture(autouse=True)
def extra_routes(app: FastAPI) -> None:
    """Routes that fail on purpose and one that shows the nonce templates get.

    Their paths start with "_", which no host slug can: added after the app's
    own routes, a slug-shaped path would be taken by the host page ``/{host}``.
    """

    def boom() -> None:
        raise RuntimeError("boom")

    def nonce(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.state.csp_nonce)

    app.add_api_route("/_boom", boom)
    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/_nonce", nonce)


def test_pages_have_the_headers(client: httpx.Client) -> None:
    login = client.get("/login")
    assert login.status_code == 200
    assert_security_headers(login)
    assert login.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert login.headers["cache-control"] == "no-store"


def test_the_dashboard_is_never_cached(logged_in: httpx.Client) -> None:
    page = logged_in.get("/dashboard")
    assert page.status_code == 200
    assert_security_headers(page)
    assert page.headers["cache-control"] == "no-store"


def test_redirects_have_the_headers(client: httpx.Client) -> None:
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert_security_headers(response)


def test_api_responses_and_api_errors_have_the_headers(client: httpx.Client) -> None:
    missing = client.get("/api/v1/public/hosts/nobody/types/none/slots")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"]
    assert_security_headers(missing)
    assert missing.headers["cache-control"] == "no-store"
    health = client.get("/healthz")
    assert health.status_code == 200
    assert_security_headers(health)


def test_404_page_has_the_headers(client: httpx.Client) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "There is nothing at this address" in page.text
    assert_security_headers(page)


def test_500_page_and_json_have_the_headers(app_url: str) -> None:
    # Fresh connections: uvicorn closes the connection after an unhandled error.
    page = httpx.get(f"{app_url}/_boom")
    assert page.status_code == 500
    assert "Something went wrong" in page.text and "boom" not in page.text
    assert_security_headers(page)
    assert page.headers["cache-control"] == "no-store"
    api = httpx.get(f"{app_url}/api/v1/boom")
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "internal_error"
    assert_security_headers(api)


def test_oauth_callback_sends_no_referrer_and_is_not_cached(logged_in: httpx.Client) -> None:
    response = logged_in.get("/oauth/google/callback", params={"state": "x", "code": "4/secret"})
    assert response.status_code == 400
    assert_security_headers(response)
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    anonymous = httpx.get(f"{logged_in.base_url}/oauth/google/callback?state=x&code=y")
    assert anonymous.status_code == 303
    assert anonymous.headers["referrer-policy"] == "no-referrer"


def test_static_files_may_be_cached_but_get_the_other_headers(client: httpx.Client) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert_security_headers(css)
    assert "no-store" not in css.headers.get("cache-control", "")


def test_a_url_carrying_a_token_is_never_cached(client: httpx.Client) -> None:
    response = client.get("/static/style.css", params={"token": "abc"})
    assert response.headers["cache-control"] == "no-store"


def test_each_response_gets_a_fresh_nonce_that_templates_can_use(client: httpx.Client) -> None:
    first, second = client.get("/_nonce"), client.get("/_nonce")
    for response in (first, second):
        match = NONCE.search(response.headers["content-security-policy"])
        assert match and match.group(1) == response.text
    assert first.text != second.text


def test_templates_have_no_inline_script_without_the_nonce() -> None:
    from leadscalendar.web.templating import TEMPLATES_DIR

    for template in TEMPLATES_DIR.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or "nonce=" in tag, f"{template.name}: {tag} would be blocked"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{template.name}: inline handler"
        assert not re.search(r"\sstyle\s*=", text), f"{template.name}: inline style"


def test_form_action_allows_google_consent_and_checkout_redirects(settings: Settings) -> None:
    sandbox = SecurityPolicy.from_settings(
        settings.model_copy(update={"payments_sandbox_url": "http://127.0.0.1:8002"})
    )
    assert sandbox.form_action_origins == ("https://accounts.google.com", "http://127.0.0.1:8002")
    stripe = SecurityPolicy.from_settings(
        settings.model_copy(update={"payment_provider": "stripe"})
    )
    assert STRIPE_CHECKOUT_ORIGIN in stripe.content_security_policy("n")


@pytest.fixture
def https_app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings.model_copy(update={"public_url": "https://book.example.com"}))
    yield app
    app.state.services.engine.dispose()


def test_hsts_only_when_the_public_url_is_https(https_app: FastAPI, client: httpx.Client) -> None:
    assert "strict-transport-security" not in client.get("/login").headers
    with live_server(https_app) as url:
        response = httpx.get(f"{url}/login")
    hsts = response.headers["strict-transport-security"]
    assert hsts.startswith("max-age=31536000")


def test_only_the_listed_sites_may_frame_the_embeds() -> None:
    settings = Settings(embed_allowed_origins="https://coach.example, https://www.coach.example/x")
    policy = SecurityPolicy.from_settings(settings)
    embed = dict(policy.headers("/embed/coach/session", "", "n0nce"))
    assert "frame-ancestors https://coach.example https://www.coach.example;" in (
        embed["Content-Security-Policy"] + ";"
    )
    assert "X-Frame-Options" not in embed
    dashboard = dict(policy.headers("/dashboard", "", "n0nce"))
    assert "frame-ancestors 'none'" in dashboard["Content-Security-Policy"]
    assert dashboard["X-Frame-Options"] == "DENY"
