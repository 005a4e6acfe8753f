"""Rendering: text and HTML of every message, escaping, and headers that cannot be injected."""

from __future__ import annotations

import pytest

from leadscalendar.notifications import MailContentError, MailRenderer, MailTemplate, OutgoingMail

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
}

renderer = MailRenderer(
    mail_from="LeadsCalendar <no-reply@example.com>", public_url="https://lc.example.com/"
)


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
