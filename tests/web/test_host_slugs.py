"""Booking-page URLs never shadow the app's own paths."""

from __future__ import annotations

import re

from fastapi import FastAPI

from leadscalendar.web.host_slugs import HOST_SLUG_REGEX, RESERVED_SEGMENTS, is_reserved


def _paths(routes: list[object]) -> list[str]:
    found: list[str] = []
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            found.append(path)
        # FastAPI wraps included routers; their routes carry the full path.
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner:
            found += _paths(list(inner))
    return found


def test_every_first_segment_of_the_app_is_reserved(app: FastAPI) -> None:
    firsts = {
        path.split("/")[1]
        for path in _paths(list(app.routes))
        if path.count("/") >= 1 and not path.startswith("/{")
    }
    firsts.discard("")
    assert {"api", "bookings", "dashboard", "webhooks", "static"} <= firsts
    missing = firsts - RESERVED_SEGMENTS
    assert not missing, f"add {sorted(missing)} to web/host_slugs.py RESERVED_SEGMENTS"


def test_slug_shapes() -> None:
    pattern = re.compile(rf"^/(?:{HOST_SLUG_REGEX})/x$")
    assert pattern.match("/coach/x")
    assert pattern.match("/apiary/x")
    assert not pattern.match("/api/x")
    assert not pattern.match("/Coach/x")
    assert is_reserved("dashboard") and not is_reserved("coach")
