"""Calendars and their events, in memory, as Google resources.

Events are stored as the JSON resource Google would return, and never removed:
a deleted event stays with ``status: cancelled`` so its id keeps answering 409
to a second insert, which is what makes client-chosen ids an idempotency key.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from leadscalendar.sandbox.google.errors import not_found, required_access_level

T = TypeVar("T")
WRITE_ROLES = ("owner", "writer")


@dataclass
class CalendarRecord:
    id: str
    summary: str
    owner_email: str
    access_role: str
    primary: bool = False
    time_zone: str = "UTC"
    deleted: bool = False
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What the API does not return but tests want to see, e.g. sendUpdates per call.
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)
    etag_counter: int = 0
    # Incremental sync: every change stamps the event with the next number; a sync
    # token is "everything after number N in epoch E", and expiring tokens bumps E.
    change_counter: int = 0
    changed_at: dict[str, int] = field(default_factory=dict)
    sync_epoch: int = 0
    # Called (under the store's lock) after each change: push channels hang here.
    announce: Callable[[str], None] = field(default=lambda _calendar_id: None, repr=False)

    def next_etag(self) -> str:
        self.etag_counter += 1
        return f'"{3_400_000_000_000_000 + self.etag_counter}"'

    def touch(self, event_id: str) -> None:
        """Record that an event changed: incremental syncs return it, channels hear of it."""
        self.change_counter += 1
        self.changed_at[event_id] = self.change_counter
        self.announce(self.id)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "summary": self.summary,
            "owner_email": self.owner_email,
            "access_role": self.access_role,
            "primary": self.primary,
            "time_zone": self.time_zone,
            "deleted": self.deleted,
            "events": len(self.events),
        }

    def list_entry(self) -> dict[str, Any]:
        """The calendarList resource for this calendar."""
        entry: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": f'"{1_600_000_000_000 + len(self.id)}"',
            "id": self.id,
            "summary": self.summary,
            "timeZone": self.time_zone,
            "colorId": "14" if self.primary else "7",
            "backgroundColor": "#9fe1e7" if self.primary else "#42d692",
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": self.access_role,
            "defaultReminders": (
                [{"method": "popup", "minutes": 10}] if self.access_role == "owner" else []
            ),
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if self.primary:
            entry["primary"] = True
            entry["notificationSettings"] = {
                "notifications": [
                    {"type": "eventCreation", "method": "email"},
                    {"type": "eventChange", "method": "email"},
                    {"type": "eventCancellation", "method": "email"},
                ]
            }
        return entry

    def resource(self) -> dict[str, Any]:
        """The calendars.get resource."""
        return {
            "kind": "calendar#calendar",
            "etag": f'"{1_600_000_000_000 + len(self.id)}"',
            "id": self.id,
            "summary": self.summary,
            "timeZone": self.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }


def _slug(email: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", email.lower()).strip(".")


def html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def new_event_id() -> str:
    """Google's server-chosen ids: 26 base32hex characters."""
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    return "".join(secrets.choice(alphabet) for _ in range(26))


class CalendarStore:
    """Every account's calendars. One lock: operations are short and in memory."""

    def __init__(
        self, default_account: str, announce: Callable[[str], None] = lambda _calendar_id: None
    ) -> None:
        self._default_account = default_account
        self._announce = announce
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            # Part of every sync token, so tokens from before a reset get 410.
            self.nonce = secrets.token_hex(4)
            self._calendars: dict[str, CalendarRecord] = {}
            self._accounts: set[str] = set()
            self.ensure_account(self._default_account)

    def ensure_account(self, email: str) -> None:
        """Give an account its calendars the first time it is seen.

        A primary (id = e-mail), a second calendar it owns (to test a picker and
        non-primary inserts) and a subscribed calendar it may only read.
        """
        email = email.lower()
        with self._lock:
            if email in self._accounts:
                return
            self._accounts.add(email)
            slug = _slug(email)
            for record in (
                CalendarRecord(email, email, email, "owner", primary=True),
                CalendarRecord(
                    f"bookings.{slug}@group.calendar.google.com", "Bookings", email, "owner"
                ),
                CalendarRecord(
                    f"holidays.{slug}@group.v.calendar.google.com", "Holidays", email, "reader"
                ),
            ):
                record.announce = self._announce
                self._calendars[record.id] = record

    # -- access -----------------------------------------------------------------

    def calendars_of(self, account: str) -> list[CalendarRecord]:
        with self._lock:
            self.ensure_account(account)
            return [
                record
                for record in self._calendars.values()
                if record.owner_email == account.lower() and not record.deleted
            ]

    def all_calendars(self) -> list[CalendarRecord]:
        with self._lock:
            return list(self._calendars.values())

    def resolve(self, account: str, calendar_id: str) -> CalendarRecord:
        """The caller's calendar or 404: Google hides calendars you cannot see."""
        with self._lock:
            self.ensure_account(account)
            wanted = account.lower() if calendar_id == "primary" else calendar_id
            record = self._calendars.get(wanted)
            if record is None or record.deleted or record.owner_email != account.lower():
                raise not_found()
            return record

    def writable(self, account: str, calendar_id: str) -> CalendarRecord:
        record = self.resolve(account, calendar_id)
        if record.access_role not in WRITE_ROLES:
            raise required_access_level()
        return record

    def transact(self, operation: Callable[[], T]) -> T:
        """Run a read-check-write on events atomically (two inserts, one id)."""
        with self._lock:
            return operation()

    # -- control ----------------------------------------------------------------

    def find(self, calendar_id: str) -> CalendarRecord | None:
        with self._lock:
            return self._calendars.get(calendar_id)

    def make_read_only(self, calendar_id: str) -> CalendarRecord | None:
        with self._lock:
            record = self._calendars.get(calendar_id)
            if record is not None:
                record.access_role = "reader"
            return record

    def delete_calendar(self, calendar_id: str) -> CalendarRecord | None:
        with self._lock:
            record = self._calendars.get(calendar_id)
            if record is not None:
                record.deleted = True
            return record

    def add_busy(self, calendar_id: str, blocks: list[tuple[datetime, datetime]]) -> bool:
        with self._lock:
            record = self._calendars.get(calendar_id)
            if record is None:
                return False
            record.busy.extend(blocks)
            return True

    def expire_sync_tokens(self, calendar_id: str) -> CalendarRecord | None:
        """Every sync token issued for this calendar now gets 410 ``fullSyncRequired``."""
        with self._lock:
            record = self._calendars.get(calendar_id)
            if record is not None:
                record.sync_epoch += 1
            return record

    def snapshot_events(self, calendar_id: str) -> list[dict[str, Any]] | None:
        """Deep copies, cancelled ones included, with the sandbox's notes attached."""
        with self._lock:
            record = self._calendars.get(calendar_id)
            if record is None:
                return None
            events = []
            for event_id, event in record.events.items():
                copied = copy.deepcopy(event)
                copied["_sandbox"] = {"calls": copy.deepcopy(record.notes.get(event_id, []))}
                events.append(copied)
            return events
