"""The API reference at /docs comes from the app's own files: no CDN, no inline script."""

from __future__ import annotations

import re

import httpx

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def test_the_api_reference_page_names_no_other_site(client: httpx.Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "http://" not in response.text and "https://" not in response.text
    assert "//" not in "".join(ASSET.findall(response.text))
    # The CSP in force allows scripts and styles from this origin only.
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in csp and "style-src 'self';" in csp
    assert "<script>" not in response.text


def test_every_file_the_api_reference_loads_is_served_by_the_app(client: httpx.Client) -> None:
    assets = ASSET.findall(client.get("/docs").text)
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "api-docs.js"} <= {
        asset.rsplit("/", 1)[-1] for asset in assets
    }
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.content, asset


def test_the_openapi_document_lists_only_the_json_api_and_the_webhooks(
    client: httpx.Client,
) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert any(path.startswith("/api/v1/public/") for path in paths)
    assert any(path.startswith("/api/v1/bookings") for path in paths)
    pages = [path for path in paths if not path.startswith(("/api/", "/webhooks/"))]
    assert pages == []
    # The pages' form bodies went with them; the API's own schemas stayed.
    schemas = document["components"]["schemas"]
    assert not [name for name in schemas if name.startswith("Body_")]
    assert {"BookingOut", "ErrorBody", "HoldRequest"} <= set(schemas)
