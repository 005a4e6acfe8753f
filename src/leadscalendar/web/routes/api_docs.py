"""The API reference at ``/docs``: Swagger UI from files the app serves itself.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, and the product (the demo
above all) must work with no network. The ``fastapi-offline`` package ships
Swagger UI's files; ``web/app.py`` mounts them under ``/static/api-docs/``. The
page starts Swagger UI from ``/static/api-docs.js`` rather than from an inline
script, so the Content-Security-Policy stays ``'self'`` for the docs too.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from leadscalendar.web.templating import templates

# Swagger UI's bundle, stylesheet and icon, as the package ships them.
SWAGGER_UI_DIR = Path(fastapi_offline.__file__).parent / "static"
SWAGGER_UI_URL = "/static/api-docs"

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_reference(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "api_docs.html",
        {"assets": SWAGGER_UI_URL, "openapi_url": request.app.openapi_url},
    )
