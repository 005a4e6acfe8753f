"""Routes call Google and Stripe between units of work, never inside one.

The rule (DESIGN, conventions 2): a route that calls out reads in one unit,
calls out with no write transaction open, and writes in another; no route
commits its request's session half-way to make room for the call. Two checks:
the source (only the boundaries call ``commit()``), and the running app (at
each call out, the calling thread holds no transaction that can write).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from leadscalendar.db.engine import READ_ONLY
from leadscalendar.services import Services
from tests.support.booking_env import BookingEnv
from tests.support.booking_flow import API, checkout, confirm, days_ahead, held, slot_starts
from tests.support.lead_pages import hold_through_pages

SOURCE = Path(__file__).resolve().parents[2] / "src" / "leadscalendar"
# The boundaries: the request's unit of work and the unit-of-work helper itself.
BOUNDARIES = {SOURCE / "web" / "deps.py", SOURCE / "db" / "session.py"}
COMMIT = re.compile(r"\.commit\(\)")


def test_no_web_module_but_the_boundaries_commits() -> None:
    committing = [
        str(path.relative_to(SOURCE))
        for path in sorted((SOURCE / "web").rglob("*.py"))
        if path not in BOUNDARIES and COMMIT.search(path.read_text())
    ]
    assert committing == []


@dataclass
class OpenTransactions:
    """Which thread began each open write transaction, and how many each call out saw."""

    began_by: dict[int, int] = field(default_factory=dict)
    calls: list[tuple[str, int]] = field(default_factory=list)

    def begin(self, connection: Connection) -> None:
        # Read-only sessions' transactions take no lock (on SQLite they begin DEFERRED);
        # the rule is about transactions that can write.
        if not connection.get_execution_options().get(READ_ONLY):
            self.began_by[id(connection)] = threading.get_ident()

    def end(self, connection: Connection) -> None:
        self.began_by.pop(id(connection), None)

    def open_here(self) -> int:
        me = threading.get_ident()
        return sum(1 for thread in list(self.began_by.values()) if thread == me)

    def watch(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        """``call``, noting how many transactions its calling thread holds at that moment."""

        def watched(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, self.open_here()))
            return call(*args, **kwargs)

        return watched

    def seen(self, name: str) -> list[int]:
        return [count for called, count in self.calls if called == name]


@pytest.fixture
def watcher() -> Iterator[OpenTransactions]:
    """Listens on every engine from before the app starts (its worker threads fire events).

    Adding a listener to an engine other threads are using races with their
    events, so the listeners go on the class first and come off after the app.
    """
    found = OpenTransactions()
    listeners = (("begin", found.begin), ("commit", found.end), ("rollback", found.end))
    for name, listener in listeners:
        event.listen(Engine, name, listener)
    yield found
    for name, listener in listeners:
        event.remove(Engine, name, listener)


@pytest.fixture
def transactions(
    watcher: OpenTransactions, booking_env: BookingEnv, monkeypatch: pytest.MonkeyPatch
) -> OpenTransactions:
    services: Services = booking_env.services
    busy, provider, calendars = services.busy, services.payment_provider, services.calendars
    monkeypatch.setattr(busy, "fetch", watcher.watch("free/busy", busy.fetch))
    monkeypatch.setattr(
        provider, "create_checkout", watcher.watch("checkout", provider.create_checkout)
    )
    monkeypatch.setattr(calendars, "for_host", watcher.watch("calendar list", calendars.for_host))
    return watcher


def test_lead_routes_call_google_and_stripe_with_no_transaction_open(
    transactions: OpenTransactions, booking_env: BookingEnv
) -> None:
    env = booking_env
    free, other = slot_starts(env, "intro", days_ahead(2))[:2]
    booking = held(env, "intro", free)
    assert confirm(env, booking)["status"] in {"paid", "scheduled"}
    moved = env.lead.post(
        f"{API}/bookings/{booking.id}/reschedule",
        params={"token": booking.token},
        json={"start": other},
    )
    assert moved.status_code == 200, moved.text
    checkout(env, "session", slot_starts(env, "session", days_ahead(3))[0])
    hold_through_pages(env.lead, "session")
    # hold (API), reschedule, hold for the checkout, hold (pages); then the checkout.
    assert len(transactions.seen("free/busy")) >= 4
    assert transactions.seen("checkout") == [0]
    assert set(transactions.seen("free/busy")) == {0}


def test_dashboard_routes_list_calendars_with_no_transaction_open(
    transactions: OpenTransactions, booking_env: BookingEnv
) -> None:
    host = booking_env.host.client
    for path in ("/dashboard/types/new", "/dashboard/google/calendar"):
        page = host.get(path)
        assert page.status_code == 200, page.text
    assert transactions.seen("calendar list")
    assert set(transactions.seen("calendar list")) == {0}
