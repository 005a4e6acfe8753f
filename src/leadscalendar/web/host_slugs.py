"""Which first path segments can name a host in ``/{host}`` and ``/{host}/{type}`` URLs.

The booking page's path would match any two segments, so without this a GET
on ``/webhooks/stripe`` (a POST-only route) would answer "no such booking
page" instead of 405, and a host whose slug is ``dashboard`` could never be
reached. The app's own first segments are reserved; a test keeps this list
in step with the routes.
"""

from __future__ import annotations

import re

from starlette.convertors import Convertor, register_url_convertor

# The app's own first segments, and a few it is likely to grow.
RESERVED_SEGMENTS = frozenset(
    {
        "account",
        "admin",
        "api",
        "auth",
        "bookings",
        "dashboard",
        "docs",
        "embed",
        "forgot-password",
        "healthz",
        "hosts",
        "login",
        "logout",
        "metrics",
        "notifications",
        "oauth",
        "openapi.json",
        "redoc",
        "reset-password",
        "settings",
        "signup",
        "static",
        "verify-email",
        "webhooks",
    }
)
# The shape accounts.service.SLUG_PATTERN enforces, minus the reserved words.
_RESERVED = "|".join(re.escape(word) for word in sorted(RESERVED_SEGMENTS))
# The lookahead ends at "/" or the path's end: the host page ``/{host}`` is one segment.
HOST_SLUG_REGEX = rf"(?!(?:{_RESERVED})(?:/|$))[a-z0-9](?:[a-z0-9-]{{0,62}}[a-z0-9])?"


class HostSlugConvertor(Convertor[str]):
    regex = HOST_SLUG_REGEX

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def is_reserved(slug: str) -> bool:
    """Whether a host may not take this slug (it would shadow one of the app's paths)."""
    return slug in RESERVED_SEGMENTS


register_url_convertor("host_slug", HostSlugConvertor())
