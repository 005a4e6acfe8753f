"""Slots as the lead sees them: grouped by day and labelled in the lead's time zone.

The host's zone decides which slots exist; the lead's zone only decides how
they are shown, so a host's Tuesday morning may be a lead's Monday evening.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from leadscalendar import i18n
from leadscalendar.availability.types import Slot
from leadscalendar.availability.zones import load_zone

Clock = Literal["24h", "12h"]
EN_DASH = "\u2013"  # typographic range dash, escaped so the source stays ASCII


@dataclass(frozen=True, slots=True)
class LocalSlot:
    """One slot with its start and end in the lead's zone, ready to render."""

    slot: Slot
    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True, slots=True)
class DaySlots:
    """The slots starting on one date of the lead's calendar."""

    day: date
    slots: tuple[LocalSlot, ...]


def _is_ambiguous(value: datetime) -> bool:
    """Whether the same wall reading occurs twice that night (clocks went back)."""
    return value.replace(fold=1 - value.fold).utcoffset() != value.utcoffset()


def format_local_time(value: datetime, clock: Clock = "24h") -> str:
    """``09:30`` or ``9:30 AM``; a repeated wall time gets its zone abbreviation.

    On the night clocks go back, "01:30" happens twice; without the
    abbreviation (``01:30 EDT`` / ``01:30 EST``) two slots would read the same.
    """
    # Integer formatting, not strftime: a month page labels hundreds of slots.
    if clock == "24h":
        text = f"{value.hour:02d}:{value.minute:02d}"
    else:
        hour = value.hour % 12 or 12
        text = f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"
    if _is_ambiguous(value):
        text = f"{text} {value.tzname()}"
    return text


def _localize(slot: Slot, zone: ZoneInfo, clock: Clock) -> LocalSlot:
    start = slot.start.astimezone(zone)
    end = slot.end.astimezone(zone)
    label = f"{format_local_time(start, clock)}{EN_DASH}{format_local_time(end, clock)}"
    if end.date() != start.date():
        days = (end.date() - start.date()) // timedelta(days=1)
        label = f"{label} (+{days})"
    return LocalSlot(slot=slot, start=start, end=end, label=label)


def group_by_day(slots: Iterable[Slot], time_zone: str, clock: Clock = "24h") -> list[DaySlots]:
    """Slots grouped by their start's date in ``time_zone`` (the lead's), days ascending.

    Raises ``UnknownTimeZoneError`` for a zone name zoneinfo does not know.
    """
    zone = load_zone(time_zone)
    days: dict[date, list[LocalSlot]] = {}
    for slot in sorted(slots):
        local = _localize(slot, zone, clock)
        days.setdefault(local.start.date(), []).append(local)
    return [DaySlots(day=day, slots=tuple(items)) for day, items in sorted(days.items())]


def zone_abbreviation(value: datetime) -> str:
    """``CET`` or, for zones without a letter abbreviation (tzdata writes ``+03``), ``GMT+3``."""
    name = value.tzname() or ""
    if name[:1] not in ("+", "-"):
        return name
    offset = value.utcoffset() or timedelta(0)
    return gmt_offset_label(offset)


def gmt_offset_label(offset: timedelta) -> str:
    """``GMT``, ``GMT+1``, ``GMT-3:30``: how people write an offset, not ISO's ``-03:30``."""
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_day_time(value: datetime, clock: Clock = "24h") -> str:
    """``14:35 CET, Tue 3 Dec 2026``: a moment a lead can act on, zone and date included.

    Used where a bare time misleads: a hold that ends after midnight, or a
    checkout page that shows no time zone of its own.
    """
    if clock == "24h":
        text = f"{value:%H:%M}"
    else:
        hour = value.hour % 12 or 12
        text = f"{hour}:{value:%M} {'AM' if value.hour < 12 else 'PM'}"
    return f"{text} {zone_abbreviation(value)}, {i18n.format_short_day(value.date())}"
