"""Job handlers of the calendar-event family: create, move and delete a booking's event.

Each handler reads in a short transaction, calls Google holding no
transaction (through ``google.job_calls.calling_google``, with the booking's
``CalendarJobPolicy``), and returns an outcome whose effects write the result
together with the job's new state (see ``jobs.registry``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy.orm import Session

from leadscalendar.bookings import repository, webhook_events
from leadscalendar.bookings.event_content import event_spec_for
from leadscalendar.bookings.event_patches import patch_of
from leadscalendar.bookings.google_outcomes import CalendarJobPolicy, park
from leadscalendar.bookings.job_effects import NoteOnBooking, RememberEtag
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.service import enqueue_event_deletion
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.google.calendar import CalendarClient, CalendarEvent
from leadscalendar.google.credentials import AccessGrant
from leadscalendar.google.errors import Action, InvalidEventError, Operation
from leadscalendar.google.events import (
    EventSpec,
    build_event_body,
    event_id_for,
    replacement_event_id,
)
from leadscalendar.google.exceptions import NotConnectedError
from leadscalendar.google.job_calls import calling_google
from leadscalendar.jobs import JobContext, Outcome, Park, Retry, Succeeded, with_effects

if TYPE_CHECKING:
    from leadscalendar.bookings.tasks import TaskDependencies

OUTCOME_TYPES = (Succeeded, Retry, Park)


@dataclass(frozen=True)
class _EventPlan:
    booking_id: uuid.UUID
    host_id: uuid.UUID
    calendar_id: str
    spec: EventSpec
    grant: AccessGrant
    # The id Google gave the event (stored from its answer), else the derived one.
    event_id: str

    @property
    def policy(self) -> CalendarJobPolicy:
        return CalendarJobPolicy(self.booking_id, self.host_id, self.calendar_id)


def _plan_event(
    ctx: JobContext, deps: TaskDependencies, booking_id: uuid.UUID, wanted: BookingStatus
) -> _EventPlan | Outcome:
    """Read what the event needs, the host's token included, or say why there is nothing to do.

    One query, in one read transaction, for the booking, its type, the host
    and the Google connection: a worker's CPU goes into round trips and
    transactions far more than into the Google call itself.
    """
    with ctx.read() as session:
        found = repository.get_booking_with_context(session, booking_id)
        if found is None:
            return Succeeded("the booking no longer exists")
        booking, booking_type, host, connection = found
        if booking.status is not wanted:
            return Succeeded(f"nothing to do: the booking is {booking.status.value}")
        policy = CalendarJobPolicy(booking_id, booking.host_id)
        with calling_google(Operation.TOKEN_REFRESH, policy) as call:
            grant = deps.calendars.grant_of(connection)
        if call.failed:
            return call.answer()
        assert connection is not None
        calendar_id = (
            booking.google_calendar_id or booking_type.calendar_id or connection.calendar_id
        )
        spec = event_spec_for(booking, booking_type, host)
        return _EventPlan(
            booking.id,
            booking.host_id,
            calendar_id,
            spec,
            grant,
            booking.google_event_id or spec.event_id,
        )


def _client(deps: TaskDependencies, plan: _EventPlan) -> CalendarClient | Outcome:
    """The host's client; refreshing a token about to expire may find the grant gone.

    That scheduled refresh meets the token endpoint's every answer, ours to
    fix (``invalid_client``) or Google's (unreachable), like a refresh after a
    401 does: each is classified, none escapes as an unexpected error.
    """
    with calling_google(Operation.TOKEN_REFRESH, plan.policy) as call:
        return deps.calendars.for_grant(plan.grant)
    return call.answer()


@dataclass(frozen=True)
class MarkScheduled:
    """The booking's event exists: store where, and move a paid booking to scheduled.

    A booking cancelled while Google was creating the event gets a deletion job
    instead; one already scheduled (an event put back) only takes the new ids.
    """

    name: ClassVar[str] = "booking.mark_scheduled"
    booking_id: uuid.UUID
    host_id: uuid.UUID
    calendar_id: str
    event: CalendarEvent
    restored: bool = False

    def values(self) -> dict[str, Any]:
        return {
            "google_calendar_id": self.calendar_id,
            "google_event_id": self.event.id,
            "google_event_link": self.event.html_link,
            "meet_link": self.event.meet_link,
            # Our own write: calendar sync ignores it (bookings.calendar_follow).
            "google_event_etag": self.event.etag,
            "google_event_updated_at": self.event.updated,
        }

    def apply(self, session: Session) -> None:
        values = self.values()
        detail = "restored the event Google had kept" if self.restored else "event created"
        # The usual case, a paid booking, in two statements without loading it.
        if repository.schedule_if_paid(
            session, self.booking_id, values, "calendar_event_created", detail
        ):
            # Outbound webhooks carry the booking as it now is (locked by the UPDATE),
            # loaded only if an endpoint listens.
            webhook_events.status_changed_in_place(
                session, self.booking_id, self.host_id, BookingStatus.SCHEDULED
            )
            return
        booking = repository.get_booking(session, self.booking_id, for_update=True)
        if booking is None:
            return
        for column, value in values.items():
            setattr(booking, column, value)
        if booking.status is BookingStatus.SCHEDULED:
            return  # an event put back for a booking already on the calendar
        # Cancelled while Google was creating the event: take the event away again.
        enqueue_event_deletion(session, booking)


def _mark_scheduled(plan: _EventPlan, event: CalendarEvent, restored: bool) -> MarkScheduled:
    return MarkScheduled(plan.booking_id, plan.host_id, plan.calendar_id, event, restored)


def create_calendar_event(ctx: JobContext, deps: TaskDependencies) -> Outcome:
    """events.insert with our deterministic id; a 409 on it means a retry after a crash."""
    booking_id = uuid.UUID(ctx.job.payload["booking_id"])
    plan = _plan_event(ctx, deps, booking_id, BookingStatus.PAID)
    if not isinstance(plan, _EventPlan):
        return plan
    try:
        build_event_body(plan.spec)
    except InvalidEventError as error:
        return park(ParkCode.INVALID, f"The event cannot be created: {error.message}", booking_id)
    client = _client(deps, plan)
    if isinstance(client, OUTCOME_TYPES):
        return client
    return _insert(client, plan, plan.event_id, restored=False)


def _insert(client: CalendarClient, plan: _EventPlan, event_id: str, *, restored: bool) -> Outcome:
    """Insert the booking's event under ``event_id``; adopt it if it is already there."""
    body = build_event_body(plan.spec)
    body["id"] = event_id
    with calling_google(Operation.EVENT_INSERT, plan.policy) as call:
        event = client.insert_event(plan.calendar_id, body, send_updates=plan.spec.send_updates)
        return Succeeded(
            f"created event {event.id}",
            effects=(
                MarkScheduled(plan.booking_id, plan.host_id, plan.calendar_id, event, restored),
            ),
            operation="events.insert",
            http_status=200,
        )
    if call.failed_with(Action.DUPLICATE):
        return _adopt_duplicate(client, plan, event_id)
    if call.failed_with(Action.EVENT_GONE) and event_id != replacement_event_id(plan.booking_id):
        # 410 "deleted": the id belonged to an event deleted for good. Restore
        # it if Google still keeps it, else use the booking's second id.
        return _adopt_duplicate(client, plan, event_id, gone_ok=True)
    return call.answer()


def _adopt_duplicate(
    client: CalendarClient, plan: _EventPlan, event_id: str, *, gone_ok: bool = False
) -> Outcome:
    """Our id already exists: ours means done (restore it if cancelled); not ours means park.

    With ``gone_ok`` (the insert said 410), an event Google no longer has is
    created afresh under the booking's replacement id.
    """
    with calling_google(Operation.EVENT_GET, plan.policy) as call:
        existing = client.get_event(plan.calendar_id, event_id)
        if existing.booking_id != plan.booking_id:
            return park(
                ParkCode.NOT_OURS,
                "Google already has an event with this booking's id "
                "that LeadsCalendar did not create.",
                plan.booking_id,
            )
        restored = existing.status == "cancelled"
        if restored:
            body = build_event_body(plan.spec)
            body["status"] = "confirmed"
            body.pop("id", None)
            existing = client.patch_event(
                plan.calendar_id, existing.id, body, send_updates=plan.spec.send_updates
            )
        return Succeeded(
            f"event {existing.id} already existed (a retry after a crash)",
            effects=(
                MarkScheduled(plan.booking_id, plan.host_id, plan.calendar_id, existing, restored),
            ),
            operation="events.get",
            http_status=409,
        )
    if gone_ok and call.failed_with(Action.EVENT_GONE):
        return _insert(client, plan, replacement_event_id(plan.booking_id), restored=False)
    return call.answer()


def update_calendar_event(ctx: JobContext, deps: TaskDependencies) -> Outcome:
    """Patch the event to match the booking: its new times, or its lead erased.

    The patch targets the id stored from Google's answer. An event the host
    deleted in Google (the patch says 404 or 410, or hands back a cancelled
    event) is put back with the new times instead of retried.
    """
    booking_id = uuid.UUID(ctx.job.payload["booking_id"])
    change = patch_of(ctx.job.payload)
    plan = _plan_event(ctx, deps, booking_id, BookingStatus.SCHEDULED)
    if not isinstance(plan, _EventPlan):
        return plan
    client = _client(deps, plan)
    if isinstance(client, OUTCOME_TYPES):
        return client
    patch = change.body(build_event_body(plan.spec))
    with calling_google(Operation.EVENT_PATCH, plan.policy) as call:
        event = client.patch_event(
            plan.calendar_id,
            plan.event_id,
            patch,
            send_updates=change.send_updates or plan.spec.send_updates,
        )
    if call.failed and not call.failed_with(Action.EVENT_GONE):
        return call.answer()
    if call.failed or event.status == "cancelled":
        return _recreate(client, plan)
    return Succeeded(
        f"patched event {event.id}: {change.note_detail}",
        effects=(
            NoteOnBooking(booking_id, change.note_kind, change.note_detail),
            RememberEtag.of(booking_id, event),
        ),
        operation="events.patch",
        http_status=200,
    )


def _recreate(client: CalendarClient, plan: _EventPlan) -> Outcome:
    """The host deleted the event: restore it (or insert it again) at the new times."""
    body = build_event_body(plan.spec)
    body.pop("id", None)
    body["status"] = "confirmed"
    with calling_google(Operation.EVENT_PATCH, plan.policy) as call:
        event = client.patch_event(
            plan.calendar_id, plan.event_id, body, send_updates=plan.spec.send_updates
        )
        restored = Succeeded(
            f"restored event {event.id}",
            effects=(RememberEtag.of(plan.booking_id, event),),
            operation="events.patch",
        )
        return _noted(restored, plan)
    if not call.failed_with(Action.EVENT_GONE):
        return call.answer()
    # Google has forgotten it: a new event, under the booking's own or second id.
    inserted = _insert(client, plan, plan.spec.event_id, restored=True)
    return _noted(inserted, plan) if isinstance(inserted, Succeeded) else inserted


def _noted(done: Succeeded, plan: _EventPlan) -> Succeeded:
    detail = "the event had been deleted from the calendar; put back at the new time"
    return with_effects(done, NoteOnBooking(plan.booking_id, "calendar_event_recreated", detail))


def delete_calendar_event(ctx: JobContext, deps: TaskDependencies) -> Outcome:
    """events.delete of the booking's event id; 404 and 410 mean it is already gone."""
    payload = ctx.job.payload
    booking_id = uuid.UUID(payload["booking_id"])
    host_id = uuid.UUID(payload["host_id"])
    calendar_id = str(payload["calendar_id"])
    event_id = str(payload.get("event_id") or event_id_for(booking_id))
    policy = CalendarJobPolicy(booking_id, host_id)
    client: CalendarClient | None = None
    with calling_google(Operation.EVENT_DELETE, policy) as call:
        client = deps.calendars.for_host(host_id)
        client.delete_event(calendar_id, event_id, send_updates="all")
        return Succeeded(
            f"deleted event {event_id}",
            effects=(
                NoteOnBooking(
                    booking_id, "calendar_event_deleted", "event removed from the calendar"
                ),
            ),
            operation="events.delete",
            http_status=204,
        )
    if isinstance(call.error, NotConnectedError):
        return Succeeded("Google is disconnected: there is no event to remove")
    if call.failure is None:  # the grant is gone: park until the host reconnects
        return call.answer()
    if call.failed_with(Action.EVENT_GONE, Action.CALENDAR_GONE):
        return Succeeded(
            "the event was already gone", operation="events.delete", http_status=call.failure.status
        )
    # A booking whose event was never created (its insert was parked, say on a
    # read-only calendar) must not park a deletion asking the host to act.
    if client is not None and _event_absent(client, calendar_id, event_id, policy):
        return Succeeded("there was no event to remove", operation="events.get")
    return call.answer()


def _event_absent(
    client: CalendarClient, calendar_id: str, event_id: str, policy: CalendarJobPolicy
) -> bool:
    """True only when Google says the event does not exist (or is already cancelled)."""
    with calling_google(Operation.EVENT_GET, policy) as call:
        return client.get_event(calendar_id, event_id).status == "cancelled"
    return call.failed_with(Action.EVENT_GONE, Action.CALENDAR_GONE)
