"""What a host is asked before an action that cannot be taken back.

Cancelling or declining (with a refund), disconnecting Google, revoking an
API key and deleting a webhook endpoint each get a page (GET) that states the
consequence in numbers, the refund and the bookings affected, and holds the
form that does it (POST). The
page works without JavaScript; ``dashboard.js`` shows the same form in a
``<dialog>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadscalendar.accounts.models import ApiKey
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.payments.money import format_money
from leadscalendar.webhooks_out.models import WebhookEndpoint

# The host's message to the lead: long enough for an apology, short enough for a mail.
MAX_REASON_LENGTH = 1000
# The lead's calendar event exists, or is about to.
WITH_EVENT = frozenset({BookingStatus.PAID, BookingStatus.SCHEDULED})


@dataclass(frozen=True)
class Confirmation:
    title: str
    consequences: list[str]
    action: str
    button: str
    back_url: str
    back_label: str
    # Whether the host may write a message that reaches the lead.
    reason_for: str | None = None
    notes: list[str] = field(default_factory=list)
    # A box the host must tick: the appointment's time has come, cancelling still refunds.
    confirm_started: bool = False


def refund_sentence(booking: Booking) -> str:
    """The refund a host's cancel or decline triggers, in money."""
    if booking.paid_at is None or booking.amount_minor <= 0:
        return "Nothing has been paid, so there is nothing to refund."
    amount = format_money(booking.amount_minor, booking.currency)
    return f"{amount} is refunded in full to {booking.lead_name}."


def cancel(booking: Booking, *, started: bool = False) -> Confirmation:
    """``started``: the appointment's time has come; the host ticks a box to refund anyway."""
    consequences = [refund_sentence(booking)]
    if started:
        consequences.insert(0, "This appointment's time has already come.")
    if booking.status in WITH_EVENT:
        consequences.append("The event is removed from your Google Calendar.")
    consequences += [
        f"{booking.lead_name} sees that the booking is cancelled, with your message if you "
        "write one.",
        "The time becomes free for other leads. This cannot be undone.",
    ]
    return Confirmation(
        title=f"Cancel the booking of {booking.lead_name}?",
        consequences=consequences,
        action=f"/dashboard/bookings/{booking.id}/cancel",
        button="Cancel and refund" if booking.paid_at else "Cancel the booking",
        back_url=f"/dashboard/bookings/{booking.id}",
        back_label="Keep the booking",
        reason_for=booking.lead_name,
        confirm_started=started,
    )


def decline(booking: Booking) -> Confirmation:
    return Confirmation(
        title=f"Decline the booking of {booking.lead_name}?",
        consequences=[
            refund_sentence(booking),
            f"{booking.lead_name} sees that you declined, with your message if you write one.",
            "The time becomes free for other leads. This cannot be undone.",
        ],
        action=f"/dashboard/bookings/{booking.id}/decline",
        button="Decline and refund" if booking.paid_at else "Decline the booking",
        back_url=f"/dashboard/bookings/{booking.id}",
        back_label="Keep it waiting",
        reason_for=booking.lead_name,
    )


def disconnect(google_email: str | None, upcoming: int) -> Confirmation:
    account = google_email or "your Google account"
    plural = "booking is" if upcoming == 1 else "bookings are"
    return Confirmation(
        title="Disconnect Google Calendar?",
        consequences=[
            f"LeadsCalendar loses access to {account}'s calendars.",
            "Leads cannot book you until you connect a calendar again.",
            f"{upcoming} upcoming {plural} affected: they stay booked, but new events, "
            "moves and cancellations reach your calendar only once you reconnect.",
        ],
        action="/dashboard/google/disconnect",
        button="Disconnect",
        back_url="/dashboard",
        back_label="Stay connected",
    )


def switch_account(google_email: str | None, upcoming: int) -> Confirmation:
    """Said before the host leaves for Google's page, where any account may be chosen."""
    account = google_email or "your current Google account"
    moves = (
        "booking's event moves to that account's calendar and is removed"
        if upcoming == 1
        else "bookings' events move to that account's calendar and are removed"
    )
    return Confirmation(
        title="Reconnect Google Calendar",
        consequences=[
            f"You are connected as {account}. Choose it again on Google's page to keep "
            "everything as it is.",
            f"If you choose another account, your {upcoming} upcoming {moves} from "
            f"{account}'s. Your leads get the new invitation.",
            "New bookings then go to the new account's main calendar until you pick another. "
            "Any event that cannot be removed from the old calendar is listed for you.",
        ],
        action="/dashboard/google/connect",
        button="Continue to Google",
        back_url="/dashboard",
        back_label="Keep things as they are",
    )


def revoke(key: ApiKey) -> Confirmation:
    return Confirmation(
        title=f"Revoke the API key “{key.name}”?",
        consequences=[
            f"Every program using the key {key.prefix}… is refused from now on.",
            "This cannot be undone; you can create a new key for a program that still needs one.",
        ],
        action=f"/dashboard/api-keys/{key.id}/revoke",
        button="Revoke the key",
        back_url="/dashboard#api-keys",
        back_label="Keep the key",
    )


def delete_webhook_endpoint(endpoint: WebhookEndpoint) -> Confirmation:
    return Confirmation(
        title=f"Delete the webhook endpoint {endpoint.url}?",
        consequences=[
            "It receives no booking event from now on; events not yet delivered are dropped.",
            "Its delivery log and signing secret are deleted too. This cannot be undone; "
            "to pause deliveries instead, untick “Enabled” and save.",
        ],
        action=f"/dashboard/webhooks/{endpoint.id}/delete",
        button="Delete the endpoint",
        back_url=f"/dashboard/webhooks/{endpoint.id}",
        back_label="Keep the endpoint",
    )
