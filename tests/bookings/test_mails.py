"""Who is told what about a booking: the whole product on loopback with a real SMTP server.

Each mail is read as a lead's or a host's mail client would: recipients,
subject, times in the lead's zone, links followed over HTTP, and the attached
invitation parsed with the ``icalendar`` library.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from pydantic import SecretStr

from leadscalendar import i18n
from leadscalendar.bookings import changes
from leadscalendar.bookings.booking_types import BookingTypeIn
from leadscalendar.bookings.mails import lead_in
from leadscalendar.bookings.service import get_booking
from leadscalendar.config import Settings
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.events import event_id_for
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import LEAD, BookingEnv
from tests.support.booking_flow import (
    API,
    add_booking_type,
    checkout,
    days_ahead,
    expire_hold,
    held,
    slot_starts,
)
from tests.support.mail_env import mails, paid, settled, wait_mail
from tests.support.mail_server import MailServer, text_of

MAIL_FROM = "LeadsCalendar <bookings@leadscalendar.test>"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def booking_settings(booking_settings: Settings, mail_server: MailServer) -> Settings:
    return booking_settings.model_copy(
        update={"smtp_url": SecretStr(mail_server.url), "mail_from": MAIL_FROM}
    )


def invitation(message: EmailMessage) -> icalendar.Calendar:
    [attachment] = [
        a for a in message.iter_attachments() if a.get_content_type() == "text/calendar"
    ]
    return icalendar.Calendar.from_ical(attachment.get_content())


def event_of(calendar: icalendar.Calendar) -> icalendar.Event:
    [event] = calendar.walk("VEVENT")
    return event


def manage_link(message: EmailMessage) -> str:
    match = re.search(
        r"(http://127\.0\.0\.1:\d+/bookings/[0-9a-f-]+\?token=[^\s\"<]+)", text_of(message)
    )
    assert match, "no manage link in the mail"
    return match.group(1)


def paris(start: str) -> str:
    local = datetime.fromisoformat(start).astimezone(PARIS)
    return f"{local:%A %d %B %Y, %H:%M} (Europe/Paris)"


def test_a_paid_booking_mails_the_lead_a_confirmation_and_the_host_a_notice(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    start = slot_starts(env, "session", days_ahead(3))[0]
    booking = paid(env, "session", start)

    mail = wait_mail(mail_server, LEAD["email"], "confirmed")
    assert mail["From"].addresses[0].display_name == "Coach"
    assert mail["Reply-To"].addresses[0].addr_spec == HOST_EMAIL
    assert mail["Message-ID"] and mail["Date"]
    body = text_of(mail)
    assert paris(start) in body
    assert "60 minutes" in body and "90.00 EUR" in body
    assert "24 hours before the start for a full refund" in body
    page = httpx.get(manage_link(mail), timeout=10)
    assert page.status_code == 200 and "Coaching session" in page.text
    assert booking.id in manage_link(mail)

    event = event_of(cal := invitation(mail))
    assert cal["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"{event_id_for(booking.uuid)}@leadscalendar"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime.fromisoformat(start)
    assert str(event["ATTENDEE"]) == f"mailto:{LEAD['email']}"

    notice = wait_mail(mail_server, HOST_EMAIL, "new booking")
    assert LEAD["name"] in str(notice["Subject"])
    assert notice["Reply-To"].addresses[0].addr_spec == LEAD["email"]
    assert booking.token not in notice.as_string()
    settled(env)
    assert len(mails(mail_server, LEAD["email"], "confirmed")) == 1
    assert len(mail_server.inbox.received()) == 2


def test_the_lead_reschedules_then_cancels_and_each_change_updates_their_calendar(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    offered = slot_starts(env, "session", days_ahead(3))
    booking = paid(env, "session", offered[0])
    confirmed = event_of(invitation(wait_mail(mail_server, LEAD["email"], "confirmed")))

    moved = env.lead.post(
        f"{API}/bookings/{booking.id}/reschedule",
        params={"token": booking.token},
        json={"start": offered[3]},
    )
    assert moved.status_code == 200, moved.text
    update = wait_mail(mail_server, LEAD["email"], "moved")
    body = text_of(update)
    assert paris(offered[0]) in body and paris(offered[3]) in body
    event = event_of(invitation(update))
    assert event["UID"] == confirmed["UID"]
    assert int(event["SEQUENCE"]) == int(confirmed["SEQUENCE"]) + 1
    assert event.decoded("DTSTART") == datetime.fromisoformat(offered[3])
    host_moved = wait_mail(mail_server, HOST_EMAIL, "moved by")
    assert LEAD["name"] in str(host_moved["Subject"])

    cancelled = env.lead.post(
        f"{API}/bookings/{booking.id}/cancel", params={"token": booking.token}
    )
    assert cancelled.status_code == 200, cancelled.text
    notice = wait_mail(mail_server, LEAD["email"], "cancelled")
    assert "90.00 EUR is being refunded" in text_of(notice)
    cal = invitation(notice)
    assert cal["METHOD"] == "CANCEL"
    gone = event_of(cal)
    assert gone["UID"] == confirmed["UID"] and gone["STATUS"] == "CANCELLED"
    assert int(gone["SEQUENCE"]) > int(event["SEQUENCE"])
    wait_mail(mail_server, HOST_EMAIL, "cancelled by")
    settled(env)
    assert len(mails(mail_server, LEAD["email"], "moved")) == 1
    assert len(mails(mail_server, LEAD["email"], "cancelled")) == 1


def test_an_approval_booking_tells_both_sides_then_confirms_or_declines(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    add_booking_type(
        env,
        BookingTypeIn(
            slug="vip",
            title="VIP session",
            duration_minutes=60,
            price_minor=9000,
            min_notice_minutes=60,
            requires_approval=True,
        ),
    )
    offered = slot_starts(env, "vip", days_ahead(3))
    approved = paid(env, "vip", offered[0], "awaiting_approval")
    declined = paid(env, "vip", offered[4], "awaiting_approval")

    waiting = wait_mail(mail_server, LEAD["email"], "waiting for coach", count=2)
    assert "refunded in full" in text_of(waiting)
    ask = wait_mail(mail_server, HOST_EMAIL, "approve or decline", count=2)
    links = re.findall(r"http://127\.0\.0\.1:\d+/dashboard/bookings/[0-9a-f-]+", text_of(ask))
    assert links and any(b.id in links[0] for b in (approved, declined))
    assert env.host.client.get(links[0]).status_code == 200

    with unit_of_work(env.services.session_factory) as session:
        changes.approve(session, get_booking(session, approved.uuid, for_update=True))
        changes.decline(session, get_booking(session, declined.uuid, for_update=True))
    confirmed = wait_mail(mail_server, LEAD["email"], "confirmed")
    assert approved.id in manage_link(confirmed)
    assert invitation(confirmed)["METHOD"] == "REQUEST"
    no = wait_mail(mail_server, LEAD["email"], "not accepted")
    assert "90.00 EUR is refunded in full" in text_of(no)
    settled(env)
    assert len(mails(mail_server, LEAD["email"], "confirmed")) == 1


def test_an_address_the_server_refuses_leaves_the_booking_and_tells_the_host(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    mail_server.inbox.refuse[LEAD["email"]] = "550 5.1.1 No such user here"
    booking = paid(env, "session", slot_starts(env, "session", days_ahead(3))[0])
    wait_mail(mail_server, HOST_EMAIL, "new booking")
    settled(env)

    assert env.booking(booking.id, booking.token)["status"] == "scheduled"
    assert mails(mail_server, LEAD["email"], "") == []
    page = env.host.client.get(f"/dashboard/bookings/{booking.id}")
    assert page.status_code == 200
    assert "Mail undeliverable" in page.text
    assert f"An e-mail to {LEAD['email']} could not be delivered" in page.text
    assert "No such user here" in page.text
    operations = env.host.client.get("/dashboard/operations")
    assert "would not deliver the e-mail" in operations.text


def test_a_payment_too_late_for_its_slot_mails_the_lead_the_refund_and_the_true_reason(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    start = slot_starts(env, "session", days_ahead(2))[0]
    late, late_session = checkout(env, "session", start)
    expire_hold(env, late.id)
    held(env, "session", start)  # someone else takes the time meanwhile

    env.pay(f"{env.payments_url}/checkout/{late_session}")
    env.wait_status(late.id, late.token, "refunded")
    mail = wait_mail(mail_server, LEAD["email"], "refunded")
    body = text_of(mail)
    assert "90.00 EUR" in body
    assert "after your hold had expired and someone else had booked" in body
    settled(env)
    assert mails(mail_server, LEAD["email"], "confirmed") == []


def test_a_lead_who_booked_in_german_gets_the_confirmation_in_german(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    env.lead.headers["Accept-Language"] = "de-DE,de;q=0.9"
    start = slot_starts(env, "session", days_ahead(3))[0]
    paid(env, "session", start)

    mail = wait_mail(mail_server, LEAD["email"], "Bestätigt")
    assert str(mail["Subject"]).startswith("Bestätigt: Coaching session bei Coach, ")
    body = text_of(mail)
    local = datetime.fromisoformat(start).astimezone(PARIS)
    assert f"{local:%H:%M} (Europe/Paris)" in body
    assert "Ihre Buchung ist bestätigt." in body
    assert "1 Stunde" in body and "90,00\xa0€" in body
    assert "24 Stunden vor Beginn" in body
    assert "Your booking is confirmed" not in body
    # The host's notice of the same booking stays English.
    notice = wait_mail(mail_server, HOST_EMAIL, "new booking")
    assert LEAD["name"] in str(notice["Subject"])


def test_a_lead_who_booked_in_german_hears_of_the_move_the_cancel_and_the_refund_in_german(
    booking_env: BookingEnv, mail_server: MailServer
) -> None:
    env = booking_env
    env.lead.headers["Accept-Language"] = "de-DE,de;q=0.9"
    offered = slot_starts(env, "session", days_ahead(3))
    booking = paid(env, "session", offered[0])
    moved = env.lead.post(
        f"{API}/bookings/{booking.id}/reschedule",
        params={"token": booking.token},
        json={"start": offered[3]},
    )
    assert moved.status_code == 200, moved.text
    update = text_of(wait_mail(mail_server, LEAD["email"], "Verschoben"))
    before = datetime.fromisoformat(offered[0]).astimezone(PARIS)
    with i18n.speaking("de"):
        day = i18n.format_day(before.date())  # e.g. "Mittwoch, 2. Dezember 2026"
    assert f"Vorher: {day}, {before:%H:%M} (Europe/Paris)" in update
    assert "Ihre Buchung wurde wie gewünscht verschoben." in update
    assert "Before:" not in update and "has been moved" not in update

    cancelled = env.lead.post(
        f"{API}/bookings/{booking.id}/cancel", params={"token": booking.token}
    )
    assert cancelled.status_code == 200, cancelled.text
    notice = text_of(wait_mail(mail_server, LEAD["email"], "Storniert"))
    assert "90,00\xa0€ werden auf Ihr ursprüngliches Zahlungsmittel erstattet." in notice
    assert "5 bis 10 Werktagen" in notice
    assert "is being refunded" not in notice and "Depending on your bank" not in notice
    refund = wait_mail(mail_server, LEAD["email"], "wurde erstattet")
    assert "Grund: Sie haben die Buchung storniert." in text_of(refund)
    assert "Why:" not in text_of(refund)
    settled(env)
    assert mails(mail_server, LEAD["email"], "moved") == []
    # The host's notices of the same changes stay English.
    wait_mail(mail_server, HOST_EMAIL, "cancelled by")


def test_how_far_ahead_a_reminder_is_reads_in_the_leads_language() -> None:
    assert [lead_in(m) for m in (60, 1440, 1, 90)] == [
        "in 1 hour",
        "in 24 hours",
        "in 1 minute",
        "in 90 minutes",
    ]
    with i18n.speaking("de"):
        assert [lead_in(m) for m in (60, 1440, 90)] == [
            "in 1 Stunde",
            "in 24 Stunden",
            "in 90 Minuten",
        ]
