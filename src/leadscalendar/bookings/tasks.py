"""The bookings domain's job handlers, by family, and the registry a worker runs them from.

Families: ``calendar_tasks`` (a booking's Google event: create, move, delete),
``account_move_tasks`` (an event moving to the Google account the host switched
to), ``payment_tasks`` (refunds, closing a checkout), ``mail_tasks`` (an accepted
booking's mails, planned after the webhook) and, in ``payment_checks``, the
refund of a payment that did not match its booking.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadscalendar.bookings.account_move_tasks import move_calendar_event
from leadscalendar.bookings.calendar_tasks import (
    create_calendar_event,
    delete_calendar_event,
    update_calendar_event,
)
from leadscalendar.bookings.job_kinds import (
    BOOKING_MAILS,
    CREATE_EVENT,
    DELETE_EVENT,
    EXPIRE_CHECKOUT,
    MOVE_EVENT,
    REFUND_PAYMENT,
    REFUND_UNMATCHED_PAYMENT,
    UPDATE_EVENT,
)
from leadscalendar.bookings.mail_tasks import send_booking_mails
from leadscalendar.bookings.notices import notify_on_park
from leadscalendar.bookings.payment_checks import refund_unmatched_payment
from leadscalendar.bookings.payment_tasks import expire_checkout, refund_payment
from leadscalendar.google.clients import CalendarClients
from leadscalendar.jobs import JobRegistry
from leadscalendar.notifications.mailer import Mailer
from leadscalendar.payments.provider import PaymentProvider


@dataclass(frozen=True)
class TaskDependencies:
    calendars: CalendarClients
    payments: PaymentProvider
    # The booking_mails job sends a paid booking's mails itself (mail_tasks).
    mailer: Mailer


def build_registry(deps: TaskDependencies) -> JobRegistry:
    # A bare subject key is a booking's id: job log lines carry it as booking_id.
    registry = JobRegistry(bare_subject="booking_id")
    # notify_on_park: a parked booking job e-mails the host (bookings.notices).
    registry.register(CREATE_EVENT, notify_on_park(lambda ctx: create_calendar_event(ctx, deps)))
    registry.register(UPDATE_EVENT, notify_on_park(lambda ctx: update_calendar_event(ctx, deps)))
    registry.register(DELETE_EVENT, notify_on_park(lambda ctx: delete_calendar_event(ctx, deps)))
    registry.register(REFUND_PAYMENT, notify_on_park(lambda ctx: refund_payment(ctx, deps)))
    registry.register(EXPIRE_CHECKOUT, notify_on_park(lambda ctx: expire_checkout(ctx, deps)))
    registry.register(MOVE_EVENT, notify_on_park(lambda ctx: move_calendar_event(ctx, deps)))
    registry.register(
        REFUND_UNMATCHED_PAYMENT,
        notify_on_park(lambda ctx: refund_unmatched_payment(ctx, deps.payments)),
    )
    # Parks only on a payload it cannot read (a bug of ours): nothing to tell the host.
    registry.register(BOOKING_MAILS, lambda ctx: send_booking_mails(ctx, deps.mailer))
    return registry
