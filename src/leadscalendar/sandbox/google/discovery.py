"""The Calendar v3 discovery document bundled with google-api-python-client.

Using the very document the client is generated from keeps the sandbox's idea
of method scopes and of the Event schema in step with the client's.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

# Only covers calendars the app itself created; the sandbox's calendars are the
# user's own, so Google would refuse this scope for them.
_NOT_APPLICABLE = frozenset({"https://www.googleapis.com/auth/calendar.app.created"})


@cache
def document() -> dict[str, Any]:
    path = resources.files("googleapiclient") / "discovery_cache/documents/calendar.v3.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = document()["schemas"][name]
    return found


@cache
def method_scopes(method: str) -> frozenset[str]:
    """Scopes any one of which lets ``method`` (e.g. ``events.insert``) through."""
    resource, _, verb = method.partition(".")
    described = document()["resources"][resource]["methods"][verb]
    return frozenset(described.get("scopes", ())) - _NOT_APPLICABLE
