"""The mail sandbox over real SMTP and HTTP: what is sent is listed, readable and downloadable."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from leadscalendar.sandbox.mail import Mailbox, MailSink, create_mailbox_app
from tests.support.live_server import free_port, live_server

INVITE = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def mailbox() -> Iterator[tuple[str, int]]:
    """(the mailbox page's URL, the SMTP port)."""
    box = Mailbox()
    sink = MailSink(box, "127.0.0.1", free_port())
    sink.start()
    try:
        with live_server(create_mailbox_app(box)) as url:
            yield url, sink.port
    finally:
        sink.stop()


def send(port: int, subject: str) -> None:
    message = EmailMessage()
    message["From"] = "Coach <bookings@example.test>"
    message["To"] = "lena@example.com"
    message["Subject"] = subject
    message.set_content("Plain words.")
    message.add_alternative("<p><script>alert(1)</script><b>Bold</b> words.</p>", subtype="html")
    message.add_attachment(
        INVITE,
        maintype="text",
        subtype="calendar",
        filename="invite.ics",
        params={"method": "REQUEST"},
    )
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


def test_a_caught_mail_is_listed_and_opens_as_html_text_and_attachment(
    mailbox: tuple[str, int],
) -> None:
    url, port = mailbox
    assert "No mail yet" in httpx.get(url).text
    send(port, "Confirmed: Coaching session")
    send(port, "Reminder <soon> & more")

    index = httpx.get(url).text
    assert "Confirmed: Coaching session" in index
    assert "Reminder &lt;soon&gt; &amp; more" in index
    page = httpx.get(f"{url}/mail/1")
    assert page.status_code == 200
    assert "Plain words." in page.text and "lena@example.com" in page.text
    assert "invite.ics" in page.text
    shown = httpx.get(f"{url}/mail/1/html")
    assert "<b>Bold</b>" in shown.text
    policy = shown.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    file = httpx.get(f"{url}/mail/1/attachments/0")
    assert file.content == INVITE
    assert file.headers["content-type"].startswith("text/calendar")
    assert httpx.get(f"{url}/mail/9").status_code == 404
    listed = httpx.get(f"{url}/_sandbox/messages").json()
    assert [m["subject"] for m in listed] == [
        "Confirmed: Coaching session",
        "Reminder <soon> & more",
    ]
    assert listed[0]["attachments"] == ["invite.ics"]
