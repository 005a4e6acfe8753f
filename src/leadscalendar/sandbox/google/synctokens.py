"""Opaque sync and page tokens for events.list.

A sync token names a calendar, the sandbox's lifetime (a reset invalidates
every token, as a lost server-side state would), the calendar's sync epoch
(bumped by the control call that expires tokens) and the change number it was
issued at. Anything that does not check out is a 410 ``fullSyncRequired``, the
answer Google gives when a token has expired or is otherwise unusable.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from leadscalendar.sandbox.google.errors import ApiError, api_error, bad_request
from leadscalendar.sandbox.google.store import CalendarRecord

FULL_SYNC_MESSAGE = "Sync token is no longer valid, a full sync is required."


def full_sync_required() -> ApiError:
    return api_error(410, "fullSyncRequired", FULL_SYNC_MESSAGE)


@dataclass(frozen=True)
class SyncPosition:
    number: int


@dataclass(frozen=True)
class PageState:
    """Where the next page starts: after this sort key, within changes up to ``upto``."""

    after: tuple[str, ...] | None
    upto: int


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> Any:
    padded = token + "=" * (-len(token) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()).decode())


def encode_sync(nonce: str, calendar: CalendarRecord, number: int) -> str:
    return _encode({"n": nonce, "c": calendar.id, "e": calendar.sync_epoch, "s": number})


def decode_sync(token: str, nonce: str, calendar: CalendarRecord) -> SyncPosition:
    try:
        payload = _decode(token)
        number = int(payload["s"])
        valid = (
            payload["n"] == nonce
            and payload["c"] == calendar.id
            and payload["e"] == calendar.sync_epoch
            and 0 <= number <= calendar.change_counter
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise full_sync_required()
    return SyncPosition(number)


def encode_page(state: PageState) -> str:
    return _encode({"a": list(state.after or ()), "u": state.upto})


def decode_page(token: str | None, current: int) -> PageState:
    """The first page starts now; later pages keep the first page's change number."""
    if not token:
        return PageState(after=None, upto=current)
    try:
        payload = _decode(token)
        after = tuple(str(part) for part in payload["a"])
        upto = int(payload["u"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise bad_request("Invalid page token value.", location="pageToken") from None
    return PageState(after=after or None, upto=min(upto, current))
