"""The setup checklist after sign-up: progress derived from facts, not stored.

Each step is done when the thing it asks for exists (a zone confirmed, a Google
connection, a chosen calendar, saved hours, a booking type, a published page),
so the checklist can never disagree with the pages that do the work. Only the
zone and "skip for now" are stored on the host: neither leaves another trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.bookings import repository
from leadscalendar.google import repository as google_repository
from leadscalendar.google.models import ConnectionStatus

SETUP_PATH = "/dashboard/setup"
NEXT_QUERY = f"?next={SETUP_PATH}"


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    # Where the host does this step; None when the checklist page does it itself.
    href: str | None


@dataclass(frozen=True)
class Progress:
    steps: tuple[Step, ...]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def complete(self) -> bool:
        return self.done_count == self.total

    @property
    def current(self) -> Step | None:
        """The first step not done: the one the page invites the host to do next."""
        return next((step for step in self.steps if not step.done), None)


def progress(session: Session, host: Host) -> Progress:
    """Where the host stands, read from what exists."""
    connection = google_repository.get_connection(session, host.id)
    connected = connection is not None and connection.status is ConnectionStatus.ACTIVE
    # Picking a calendar stores its real id; "primary" is the untouched default.
    calendar_chosen = connection is not None and connection.calendar_id != "primary"
    hours_saved = repository.get_schedule(session, host.id) is not None
    types = repository.list_booking_types(session, host.id)
    published = host.is_verified and any(booking_type.active for booking_type in types)
    return Progress(
        steps=(
            Step(
                "timezone", "Confirm your time zone", host.timezone_confirmed_at is not None, None
            ),
            Step("google", "Connect Google Calendar", connected, None),
            Step(
                "calendar",
                "Choose the calendar for bookings and the ones that count as busy",
                calendar_chosen,
                f"/dashboard/google/calendar{NEXT_QUERY}",
            ),
            Step("hours", "Set your working hours", hours_saved, f"/dashboard/hours{NEXT_QUERY}"),
            Step(
                "type",
                "Create your first booking type",
                bool(types),
                f"/dashboard/types/new{NEXT_QUERY}",
            ),
            Step("share", "Share your booking link", published, None),
        )
    )


def return_to(next_path: str | None, default: str) -> str:
    """Where a step's form goes after saving: back to the checklist, or its own page.

    Only the checklist is accepted, so ``next`` cannot become an open redirect.
    """
    return SETUP_PATH if next_path == SETUP_PATH else default


def lands_on_setup(session: Session, host: Host) -> bool:
    """A new host goes to the checklist after logging in, until done or skipped."""
    return host.onboarding_dismissed_at is None and not progress(session, host).complete


def next_url(next_path: str | None) -> str | None:
    """The ``next`` a step's form carries back: the checklist's path, or nothing."""
    return SETUP_PATH if next_path == SETUP_PATH else None
