"""Jinja2 for the sandbox's few HTML pages (consent, errors, the demo calendar)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

# Under sandbox/templates/ so the existing package-data glob ships them.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "google"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)
