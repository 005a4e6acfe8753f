"""Jinja2 templates with the helpers every page uses."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from leadscalendar import i18n
from leadscalendar.web.csrf import csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"


def language_url(request: Request, language: str) -> str:
    """This page's address in ``language`` (the switcher's link): same path and query."""
    query = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return f"{request.url.path}?{urlencode([*query, ('lang', language)])}"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.globals["csrf_token"] = csrf_token
templates.env.globals["language_url"] = language_url
templates.env.globals["current_language"] = i18n.current
templates.env.globals["language_names"] = i18n.LANGUAGE_NAMES
# For text made elsewhere (an error, a reason): looked up as it is, never %-formatted.
templates.env.globals["translated"] = i18n.gettext
# The environment is shared by every request: the callables read each request's language
# from its context (leadscalendar.i18n), so nothing per-request is installed here.
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
