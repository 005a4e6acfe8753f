"""Recurring events as events.list presents them (stub; expansion to come)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from leadscalendar.sandbox.google.store import CalendarRecord


class ListQuery(Protocol):
    def flag(self, name: str) -> bool: ...


def presented(
    calendar: CalendarRecord, single_events: bool, query: ListQuery
) -> Iterable[dict[str, Any]]:
    return list(calendar.events.values())


def changed(
    calendar: CalendarRecord, event: dict[str, Any], single_events: bool
) -> list[dict[str, Any]]:
    return [event]


def is_visible_cancelled_exception(event: dict[str, Any], query: ListQuery) -> bool:
    """Google lists cancelled instances when showDeleted and singleEvents are both false."""
    return bool(event.get("recurringEventId")) and not query.flag("singleEvents")
