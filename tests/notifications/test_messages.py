"""Rendering: text and HTML of every message, escaping, and headers that cannot be injected."""

from __future__ import annotations

import email
import email.policy
import uuid
from typing import Any

import icalendar
import pytest

from leadscalendar.notifications import MailContentError, MailRenderer, MailTemplate, OutgoingMail

BOOKING_ID = "5b0e9a4e-8c1f-4f55-9a0d-0d6c3e7e2a11"
SUMMARY = {
    "lead_name": "Lena",
    "lead_email": "lena@example.com",
    "host_name": "Coach",
    "booking_title": "Coaching session",
    "when": "Thursday 26 November 2026, 10:00 (Europe/Paris)",
    "ends": "11:00",
    "duration": "60 minutes",
    "location": "Rue de Rivoli 1, Paris",
    "price": "90.00 EUR",
    "refund_policy": "Cancel at least 24 hours before the start for a full refund.",
}
LEAD_MAIL = {**SUMMARY, "lead_booking_id": BOOKING_ID}
HOST_MAIL = {**SUMMARY, "booking_id": BOOKING_ID}
INVITATION = {
    "uid": "abc@leadscalendar",
    "method": "REQUEST",
    "sequence": 2,
    "start": "2026-11-26T09:00:00+00:00",
    "end": "2026-11-26T10:00:00+00:00",
    "stamp": "2026-11-20T09:00:00+00:00",
    "summary": "Coaching session with Coach",
    "location": "Rue de Rivoli 1, Paris",
}

ACCOUNT_LINK = {
    "path": "/verify-email",
    "purpose": "verify",
    "host_id": BOOKING_ID,
    "fingerprint": "f",
}
CONTEXTS = {
    MailTemplate.NEEDS_REAUTH: {
        "host_name": "Coach",
        "google_email": "coach@gmail.test",
        "reason": "Google answered invalid_grant when refreshing the access token",
        "connection_id": "c1",
        "token_version": 1,
    },
    MailTemplate.BOOKING_PARKED: {
        "host_name": "Coach",
        "lead_name": "Lena <b>Lead</b>",
        "lead_email": "lena@example.com",
        "booking_title": "Coaching session",
        "when": "Thursday 26 November 2026, 10:00 (Europe/Paris)",
        "action": "adding it to your Google Calendar",
        "reason": "LeadsCalendar may not write to the chosen calendar.",
        "booking_id": "b1",
    },
    MailTemplate.BOOKING_DELAYED: {
        "host_name": "Coach",
        "lead_name": "Lena <b>Lead</b>",
        "lead_email": "lena@example.com",
        "booking_title": "Coaching session",
        "when": "Thursday 26 November 2026, 10:00 (Europe/Paris)",
        "action": "adding it to your Google Calendar",
        "reason": "Google Calendar has not been accepting this change for a while.",
        "booking_id": "b1",
    },
    MailTemplate.REFUND: {
        "lead_name": "Lena",
        "host_name": "Coach",
        "booking_title": "Coaching session",
        "when": "Thursday 26 November 2026, 10:00 (Europe/Paris)",
        "amount": "90.00 EUR",
        "reason": "The host cancelled the booking.",
    },
    MailTemplate.PAYMENT_MISMATCH: {
        "host_name": "Coach",
        "lead_name": "Lena <b>Lead</b>",
        "lead_email": "lena@example.com",
        "booking_title": "Coaching session",
        "when": "Thursday 26 November 2026, 10:00 (Europe/Paris)",
        "reason": "The payment was 50.00 EUR, but the booking costs 90.00 EUR.",
        "refund": "it is being refunded in full.",
        "booking_id": "b1",
    },
    MailTemplate.BOOKING_CONFIRMED: LEAD_MAIL,
    MailTemplate.AWAITING_APPROVAL: {**LEAD_MAIL, "paid": True},
    MailTemplate.BOOKING_RESCHEDULED: {
        **LEAD_MAIL,
        "old_when": "Wednesday 25 November 2026, 10:00 (Europe/Paris)",
        "by_lead": True,
    },
    MailTemplate.BOOKING_CANCELLED: {**LEAD_MAIL, "by_lead": False, "refund": "90.00 EUR back"},
    MailTemplate.BOOKING_DECLINED: {**LEAD_MAIL, "refund": "90.00 EUR"},
    MailTemplate.REMINDER: {**LEAD_MAIL, "lead_in": "in 24 hours"},
    MailTemplate.HOST_NEW_BOOKING: HOST_MAIL,
    MailTemplate.HOST_APPROVAL_NEEDED: HOST_MAIL,
    MailTemplate.HOST_BOOKING_CHANGED: {**HOST_MAIL, "change": "cancelled", "old_when": ""},
    MailTemplate.HOST_REMINDER: {**HOST_MAIL, "lead_in": "in 1 hour"},
    MailTemplate.HOST_CALENDAR_CHANGE: {
        **HOST_MAIL,
        "change": "moved",
        "new_when": "Friday 27 November 2026, 11:00 (Europe/Paris)",
        "refund": "",
    },
    MailTemplate.HOST_DIGEST: {
        "host_name": "Coach",
        "count": 1,
        "items": [{"what": "Create calendar event", "since": "", "reason": "Read-only."}],
    },
    MailTemplate.WEBHOOK_ENDPOINT_DISABLED: {
        "host_name": "Coach",
        "url": "https://crm.example/hooks",
        "reason": "Disabled after failing since 2026-11-26 10:00 UTC; the last try said: 503.",
    },
    MailTemplate.ACCOUNT_VERIFY: {"host_name": "Coach", "account_link": ACCOUNT_LINK},
    MailTemplate.ACCOUNT_EXISTS: {"host_name": ""},
    MailTemplate.PASSWORD_RESET: {
        "host_name": "Coach",
        "account_link": {**ACCOUNT_LINK, "path": "/reset-password", "purpose": "reset"},
    },
    MailTemplate.EMAIL_CHANGE: {
        "host_name": "Coach",
        "account_link": {**ACCOUNT_LINK, "purpose": "change-email", "new_email": "n@example.com"},
    },
    MailTemplate.EMAIL_CHANGE_NOTICE: {"host_name": "Coach", "new_email": "n@example.com"},
}


def token_for(booking_id: uuid.UUID) -> str:
    return f"signed.{booking_id.hex}"


renderer = MailRenderer(
    mail_from="LeadsCalendar <no-reply@example.com>",
    public_url="https://lc.example.com/",
    booking_token=token_for,
    account_token=lambda claims: f"account.{claims['purpose']}",
)


def lead_mail(**overrides: Any) -> OutgoingMail:
    values: dict[str, Any] = {
        "template": MailTemplate.BOOKING_CONFIRMED,
        "to": "Lena <lena@example.com>",
        "context": LEAD_MAIL,
        "sender_name": "Coach",
        "reply_to": "Coach <coach@example.com>",
        "invitation": INVITATION,
    }
    values.update(overrides)
    return OutgoingMail(**values)


@pytest.mark.parametrize("template", list(MailTemplate))
def test_every_message_has_text_and_html(template: MailTemplate) -> None:
    message = renderer.render(
        OutgoingMail(template, "Someone <someone@example.com>", CONTEXTS[template])
    )
    assert message.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in message.iter_parts()]
    assert types == ["text/plain", "text/html"]
    assert message["Subject"] and "\n" not in str(message["Subject"])
    assert message["To"].addresses[0].addr_spec == "someone@example.com"


def test_an_account_mail_links_to_its_page_with_a_token_signed_at_send_time() -> None:
    message = renderer.render(
        OutgoingMail(
            MailTemplate.PASSWORD_RESET, "c@example.com", CONTEXTS[MailTemplate.PASSWORD_RESET]
        )
    )
    text = message.get_body(("plain",))
    assert text is not None
    assert "https://lc.example.com/reset-password?token=account.reset" in text.get_content()


def test_links_are_built_from_the_public_url() -> None:
    needs = renderer.render(
        OutgoingMail(
            MailTemplate.NEEDS_REAUTH, "c@example.com", CONTEXTS[MailTemplate.NEEDS_REAUTH]
        )
    )
    assert "https://lc.example.com/dashboard" in needs.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    parked = renderer.render(
        OutgoingMail(
            MailTemplate.BOOKING_PARKED, "c@example.com", CONTEXTS[MailTemplate.BOOKING_PARKED]
        )
    )
    html = parked.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert 'href="https://lc.example.com/dashboard/operations"' in html


def test_html_escapes_what_leads_typed_and_text_keeps_it() -> None:
    message = renderer.render(
        OutgoingMail(
            MailTemplate.BOOKING_PARKED, "c@example.com", CONTEXTS[MailTemplate.BOOKING_PARKED]
        )
    )
    assert "Lena &lt;b&gt;Lead&lt;/b&gt;" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Lena <b>Lead</b>" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_newline_in_the_context_cannot_add_a_header() -> None:
    context = {
        **CONTEXTS[MailTemplate.BOOKING_PARKED],
        "lead_name": "Eve\r\nBcc: victim@example.com",
    }
    message = renderer.render(OutgoingMail(MailTemplate.BOOKING_PARKED, "c@example.com", context))
    assert message["Bcc"] is None
    headers = message.as_string().split("\n\n", 1)[0].splitlines()
    assert not [line for line in headers if line.lower().startswith("bcc")]
    assert str(message["Subject"]).startswith("Action needed: a booking with Eve Bcc:")


def test_the_message_id_is_the_callers() -> None:
    message = renderer.render(
        OutgoingMail(MailTemplate.REFUND, "l@example.com", CONTEXTS[MailTemplate.REFUND]),
        message_id="<job-1@example.com>",
    )
    assert message["Message-ID"] == "<job-1@example.com>"


@pytest.mark.parametrize("to", ["not-an-address", "a b@example.com", "@example.com"])
def test_a_bad_recipient_is_a_content_error(to: str) -> None:
    with pytest.raises(MailContentError):
        renderer.render(OutgoingMail(MailTemplate.REFUND, to, CONTEXTS[MailTemplate.REFUND]))


def test_a_missing_context_value_is_a_content_error() -> None:
    with pytest.raises(MailContentError):
        renderer.render(OutgoingMail(MailTemplate.REFUND, "l@example.com", {"lead_name": "Lena"}))


def test_a_payload_that_is_not_a_mail_is_refused() -> None:
    with pytest.raises(MailContentError):
        OutgoingMail.from_payload({"template": "no_such_template", "to": "x@example.com"})


def test_a_lead_mail_comes_from_the_host_and_answers_go_to_the_host() -> None:
    message = renderer.render(lead_mail())
    assert message["From"].addresses[0].display_name == "Coach"
    assert message["From"].addresses[0].addr_spec == "no-reply@example.com"
    assert message["Reply-To"].addresses[0].addr_spec == "coach@example.com"
    assert message["Date"].datetime.tzinfo is not None


def test_a_host_name_with_a_newline_cannot_add_a_header() -> None:
    message = renderer.render(
        lead_mail(sender_name="Coach\r\nBcc: victim@example.com", reply_to="")
    )
    headers = message.as_string().split("\n\n", 1)[0].splitlines()
    assert not [line for line in headers if line.lower().startswith("bcc")]
    assert message["Reply-To"] is None


def test_the_manage_link_is_signed_at_send_time() -> None:
    message = renderer.render(lead_mail())
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    expected = (
        f"https://lc.example.com/bookings/{BOOKING_ID}?token=signed.{uuid.UUID(BOOKING_ID).hex}"
    )
    assert expected in text
    assert f'href="{expected}"' in message.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_a_lead_mail_without_a_link_signer_is_a_content_error() -> None:
    unsigned = MailRenderer(mail_from="LC <lc@example.com>", public_url="https://lc.example.com")
    with pytest.raises(MailContentError):
        unsigned.render(lead_mail())


def test_the_invitation_is_an_attachment_that_parses() -> None:
    message = renderer.render(lead_mail())
    assert message.get_content_type() == "multipart/mixed"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "abc@leadscalendar"
    assert int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART").isoformat() == "2026-11-26T09:00:00+00:00"
    assert str(event["ORGANIZER"]) == "mailto:coach@example.com"
    assert str(event["ATTENDEE"]) == "mailto:lena@example.com"
    assert f"/bookings/{BOOKING_ID}?token=" in str(event["URL"])


def test_a_cancel_invitation_says_cancelled() -> None:
    message = renderer.render(
        lead_mail(
            template=MailTemplate.BOOKING_CANCELLED,
            context=CONTEXTS[MailTemplate.BOOKING_CANCELLED],
            invitation={**INVITATION, "method": "CANCEL", "sequence": 3},
        )
    )
    [attachment] = list(message.iter_attachments())
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"
    assert int(event["SEQUENCE"]) == 3


@pytest.mark.parametrize("template", list(MailTemplate))
def test_html_has_its_css_inline_and_no_remote_images(template: MailTemplate) -> None:
    message = renderer.render(OutgoingMail(template, "s@example.com", CONTEXTS[template]))
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<style" not in html
    assert 'style="' in html
    assert "<img" not in html and "url(" not in html


def test_a_lead_mail_is_rendered_in_the_language_it_names() -> None:
    german = renderer.render(lead_mail(context={**LEAD_MAIL, "language": "de"}))
    english = renderer.render(lead_mail())
    assert str(german["Subject"]).startswith("Bestätigt: ")
    assert str(english["Subject"]).startswith("Confirmed: ")
    assert 'lang="de"' in german.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Hallo" in german.get_body(("plain",)).get_content()  # type: ignore[union-attr]


# Per lead mail: the start of its German subject, and English phrases its English
# rendering has that its German rendering must not (the greeting and sign-off in all).
GERMAN_LEAD_MAILS = {
    MailTemplate.BOOKING_CONFIRMED: ("Bestätigt: ", ("Your booking is confirmed",)),
    MailTemplate.AWAITING_APPROVAL: (
        "Wartet auf Bestätigung durch Coach: ",
        ("We have your payment", "approves each booking", "is refunded in full"),
    ),
    MailTemplate.BOOKING_CANCELLED: ("Storniert: ", ("has been cancelled by Coach",)),
    MailTemplate.BOOKING_DECLINED: (
        "Nicht angenommen: ",
        ("could not accept your booking", "is refunded in full", "Depending on your bank"),
    ),
    MailTemplate.BOOKING_RESCHEDULED: (
        "Verschoben: ",
        ("has been moved as you asked", "Before:", "updates the event in your calendar"),
    ),
    MailTemplate.REFUND: (
        "Ihre Zahlung für Coaching session wurde erstattet",
        ("We have refunded", "Why:", "Depending on your bank"),
    ),
    MailTemplate.REMINDER: ("Erinnerung: ", ("A reminder of your booking",)),
}


@pytest.mark.parametrize("template", list(GERMAN_LEAD_MAILS))
def test_every_lead_mail_reads_wholly_german_when_the_lead_booked_in_german(
    template: MailTemplate,
) -> None:
    subject, phrases = GERMAN_LEAD_MAILS[template]
    english = renderer.render(OutgoingMail(template, "l@example.com", CONTEXTS[template]))
    german = renderer.render(
        OutgoingMail(template, "l@example.com", {**CONTEXTS[template], "language": "de"})
    )
    assert str(german["Subject"]).startswith(subject)
    assert str(german["Subject"]) != str(english["Subject"])
    for kind in ("plain", "html"):
        english_text = english.get_body((kind,)).get_content()  # type: ignore[union-attr]
        german_text = german.get_body((kind,)).get_content()  # type: ignore[union-attr]
        assert "Hallo Lena," in german_text and "Coach, über LeadsCalendar" in german_text
        for phrase in (*phrases, "Hello Lena", "via LeadsCalendar"):
            assert phrase in english_text
            assert phrase not in german_text


@pytest.mark.parametrize(
    ("change", "extra", "says"),
    [
        ("moved", {"new_when": "Friday 27 November, 11:00"}, "moved in your Google Calendar to"),
        ("deleted", {"refund": "90.00 EUR is refunded in full"}, "90.00 EUR is refunded in full"),
        ("declined", {}, "declined the invitation"),
    ],
)
def test_the_hosts_calendar_change_mail_says_what_changed(
    change: str, extra: dict[str, str], says: str
) -> None:
    context = {**HOST_MAIL, "change": change, "new_when": "", "refund": "", **extra}
    message = renderer.render(
        OutgoingMail(MailTemplate.HOST_CALENDAR_CHANGE, "coach@example.com", context)
    )
    text = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text is not None and html_part is not None
    assert says in text.get_content() and says in html_part.get_content()
    assert f"/dashboard/bookings/{BOOKING_ID}" in text.get_content()


def test_headers_parsed_once_for_many_mails_read_as_freshly_parsed_ones() -> None:
    """Mails share the parse of a header text seen before; each still reads as its own."""
    first = renderer.render(lead_mail(), message_id="<one@example.com>")
    second = renderer.render(
        lead_mail(to="Ana <ana@example.com>", context={**LEAD_MAIL, "lead_name": "Ana"}),
        message_id="<two@example.com>",
    )
    for message in (first, second):
        fresh = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        assert [(name, str(value)) for name, value in message.items()] == [
            (name, str(value)) for name, value in fresh.items()
        ]
        parts = zip(message.walk(), fresh.walk(), strict=True)
        for ours, theirs in parts:
            assert ours.get_content_type() == theirs.get_content_type()
            assert ours.get_param("charset") == theirs.get_param("charset")
    assert second["To"].addresses[0].addr_spec == "ana@example.com"
    assert first["Message-ID"] != second["Message-ID"]
