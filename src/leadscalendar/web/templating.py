"""Jinja2 templates with the helpers every page uses."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from leadscalendar.web.csrf import csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals["csrf_token"] = csrf_token
