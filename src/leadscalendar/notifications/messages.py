"""The messages we send: their names, what a queued one carries, and how it is rendered.

Each message is a folder under ``templates/`` holding ``subject.txt``,
``body.txt`` and ``body.html`` (Jinja2; HTML autoescaped). A queued message
stores only the template name, the recipient and a JSON context of plain
strings, so a job row never holds anything that could not be shown to its
recipient; links are built at send time from ``LEADSCALENDAR_PUBLIC_URL``,
and a lead's manage link is signed at send time too (the job row names the
booking, never its token). A lead's mail may carry an invitation: the fields
of an ``.ics`` file (``notifications.ics``) attached as ``text/calendar``.
"""

from __future__ import annotations

import email.policy
import enum
import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

import css_inline
import jinja2

from leadscalendar import i18n
from leadscalendar.notifications.ics import IcsEvent, render_ics

TEMPLATE_DIR = Path(__file__).parent / "templates"


class MailTemplate(enum.StrEnum):
    NEEDS_REAUTH = "needs_reauth"
    BOOKING_PARKED = "booking_parked"
    # A booking's calendar work keeps failing for reasons only time fixes: told once.
    BOOKING_DELAYED = "booking_delayed"
    REFUND = "refund"
    PAYMENT_MISMATCH = "payment_mismatch"
    # To the lead.
    BOOKING_CONFIRMED = "booking_confirmed"
    AWAITING_APPROVAL = "awaiting_approval"
    BOOKING_RESCHEDULED = "booking_rescheduled"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_DECLINED = "booking_declined"
    REMINDER = "reminder"
    # To the host.
    HOST_NEW_BOOKING = "host_new_booking"
    HOST_APPROVAL_NEEDED = "host_approval_needed"
    HOST_BOOKING_CHANGED = "host_booking_changed"
    HOST_REMINDER = "host_reminder"
    HOST_DIGEST = "host_digest"
    # The host moved or deleted a booking's event in Google, or the lead declined it.
    HOST_CALENDAR_CHANGE = "host_calendar_change"
    # An outbound webhook endpoint kept failing for days and was turned off.
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint_disabled"
    # Account mails (sign-up, reset, e-mail change).
    ACCOUNT_VERIFY = "account_verify"
    ACCOUNT_EXISTS = "account_exists"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a template name
    EMAIL_CHANGE = "email_change"
    EMAIL_CHANGE_NOTICE = "email_change_notice"


class _KeptHeaderClasses(HeaderRegistry):
    """The standard header registry, keeping the header classes it makes.

    The stock registry creates a new class with ``type()`` for every header
    set (22 in a lead's mail with its invitation): over a third of the CPU of
    rendering a mail, and a mail goes out for every booking the worker puts
    on a calendar. The classes depend on the header's name alone.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(key)
        return made

    def __call__(self, name: str, value: Any) -> BaseHeader:
        """The parsed header, shared between messages when the same text was parsed before.

        Parsing is most of the CPU of building a mail, and most of a mail's
        headers repeat from mail to mail (``MIME-Version``, each part's
        ``Content-Type`` and ``Content-Transfer-Encoding``, a host's ``From``).
        A parsed header is immutable (a ``str`` with its parse), so one
        instance can sit in many messages and threads.
        """
        if isinstance(value, str):
            return _parsed_header(self, name, value)
        return self[name](name, value)


@functools.lru_cache(maxsize=512)
def _parsed_header(registry: _KeptHeaderClasses, name: str, value: str) -> BaseHeader:
    return registry[name](name, value)


# email.policy.default with the kept classes: the same headers, the same output.
MAIL_POLICY = email.policy.default.clone(header_factory=_KeptHeaderClasses())


class MailContentError(Exception):
    """A queued message cannot be built (unknown template, bad address): retrying cannot help."""


@dataclass(frozen=True)
class OutgoingMail:
    template: MailTemplate
    to: str
    context: Mapping[str, Any]
    # The From display name (a lead's mail comes from the host, at our address).
    sender_name: str = ""
    # Where the recipient's answer goes (a lead answers the host, not us).
    reply_to: str = ""
    # The fields of an IcsEvent to attach (start/end as ISO 8601 strings), or None.
    invitation: Mapping[str, Any] | None = None

    def to_payload(self) -> dict[str, Any]:
        payload = {"template": self.template.value, "to": self.to, "context": dict(self.context)}
        if self.sender_name:
            payload["sender_name"] = self.sender_name
        if self.reply_to:
            payload["reply_to"] = self.reply_to
        if self.invitation is not None:
            payload["invitation"] = dict(self.invitation)
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> OutgoingMail:
        try:
            template = MailTemplate(payload["template"])
            to = str(payload["to"])
            context = payload.get("context") or {}
        except (KeyError, ValueError) as error:
            raise MailContentError(f"not a mail job payload: {error}") from None
        invitation = payload.get("invitation")
        if not isinstance(context, Mapping) or not isinstance(invitation, Mapping | None):
            raise MailContentError("the mail context is not a mapping")
        return cls(
            template,
            to,
            context,
            sender_name=str(payload.get("sender_name") or ""),
            reply_to=str(payload.get("reply_to") or ""),
            invitation=invitation,
        )


def mask_address(address: str) -> str:
    """``lena@example.com`` -> ``l***@example.com``: enough to trace a mail in a log."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


class MailRenderer:
    """Renders a queued message into an ``EmailMessage`` (plain text + HTML alternative)."""

    def __init__(
        self,
        *,
        mail_from: str,
        public_url: str,
        booking_token: Callable[[uuid.UUID], str] | None = None,
        account_token: Callable[[Mapping[str, Any]], str] | None = None,
    ) -> None:
        self.mail_from = mail_from
        self._public_url = public_url.rstrip("/")
        # Signs a lead's manage link; given by the composition root (bookings owns the links).
        self._booking_token = booking_token
        # Signs an account link (verification, reset) from the claims the job stored.
        self._account_token = account_token

    @cached_property
    def _environment(self) -> jinja2.Environment:
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            extensions=["jinja2.ext.i18n"],
            # The templates ship with the package: no stat() of three files per mail.
            auto_reload=False,
        )
        # Each mail is rendered inside ``i18n.speaking``: the callables read that language.
        environment.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext, i18n.ngettext, newstyle=True
        )
        environment.globals["current_language"] = i18n.current
        return environment

    def render(self, mail: OutgoingMail, *, message_id: str | None = None) -> EmailMessage:
        context = {
            **mail.context,
            "public_url": self._public_url,
            "dashboard_url": f"{self._public_url}/dashboard",
            "operations_url": f"{self._public_url}/dashboard/operations",
            **self._lead_links(mail.context),
            **self._account_link(mail.context),
        }
        # A lead's mail names the language they booked in; every other mail is English.
        try:
            with i18n.speaking(str(mail.context.get("language") or i18n.DEFAULT_LANGUAGE)):
                subject = self._render(mail.template, "subject.txt", context)
                text = self._render(mail.template, "body.txt", context)
                html = self._render(mail.template, "body.html", context)
        except jinja2.TemplateError as error:
            raise MailContentError(f"template {mail.template.value}: {error}") from None
        message = EmailMessage(policy=MAIL_POLICY)
        try:
            message["To"] = _address(mail.to)
            message["From"] = self._sender(mail.sender_name)
            if mail.reply_to:
                message["Reply-To"] = _address(mail.reply_to)
        except (ValueError, IndexError) as error:
            raise MailContentError(f"invalid address: {error}") from None
        # One line, however the context was written: no header injection.
        message["Subject"] = _one_line(subject)
        message["Date"] = formatdate(localtime=False, usegmt=True)
        if message_id:
            message["Message-ID"] = message_id
        message.set_content(text)
        # Many mail clients drop <style> blocks: every rule goes into style="" attributes.
        message.add_alternative(css_inline.inline(html), subtype="html")
        if mail.invitation is not None:
            self._attach_invitation(message, mail, context.get("manage_url", ""))
        return message

    def _lead_links(self, context: Mapping[str, Any]) -> dict[str, str]:
        """The lead's status, cancel and reschedule links, signed now for the booking named."""
        raw = context.get("lead_booking_id")
        if not raw:
            return {}
        if self._booking_token is None:
            raise MailContentError("this mail needs booking links, and no signer was given")
        try:
            booking_id = uuid.UUID(str(raw))
        except ValueError:
            raise MailContentError("the mail names no valid booking") from None
        token = quote(self._booking_token(booking_id))
        base = f"{self._public_url}/bookings/{booking_id}"
        return {
            "manage_url": f"{base}?token={token}",
            "cancel_url": f"{base}/cancel?token={token}",
            "reschedule_url": f"{base}/reschedule?token={token}",
        }

    def _account_link(self, context: Mapping[str, Any]) -> dict[str, str]:
        """The verification or reset link, signed now: its lifetime starts when it is sent."""
        claims = context.get("account_link")
        if not claims:
            return {}
        if self._account_token is None:
            raise MailContentError("this mail needs an account link, and no signer was given")
        if not isinstance(claims, Mapping) or not str(claims.get("path", "")).startswith("/"):
            raise MailContentError("the mail's account link is malformed")
        token = quote(self._account_token(claims))
        return {"action_url": f"{self._public_url}{claims['path']}?token={token}"}

    def _sender(self, name: str) -> Address:
        address = _address(self.mail_from)
        display = _one_line(name)
        if not display:
            return address
        return Address(display_name=display, addr_spec=address.addr_spec)

    def _attach_invitation(self, message: EmailMessage, mail: OutgoingMail, manage: str) -> None:
        fields = dict(mail.invitation or {})
        try:
            event = IcsEvent(
                uid=str(fields["uid"]),
                start=datetime.fromisoformat(str(fields["start"])),
                end=datetime.fromisoformat(str(fields["end"])),
                stamp=datetime.fromisoformat(str(fields["stamp"])),
                summary=str(fields["summary"]),
                description="\n".join(
                    part for part in (str(fields.get("description") or ""), manage) if part
                ),
                location=str(fields.get("location") or ""),
                url=manage,
                sequence=int(fields.get("sequence") or 0),
                method=str(fields.get("method") or "REQUEST"),
                organizer=_address(mail.reply_to).addr_spec if mail.reply_to else "",
                organizer_name=mail.sender_name,
                attendee=_address(mail.to).addr_spec,
                attendee_name=_address(mail.to).display_name,
            )
            body = render_ics(event)
        except (KeyError, ValueError, TypeError) as error:
            raise MailContentError(f"the calendar invitation cannot be built: {error}") from None
        message.add_attachment(
            body.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="invite.ics" if event.method != "CANCEL" else "cancel.ics",
            params={"method": event.method, "charset": "utf-8"},
        )

    def _render(self, template: MailTemplate, part: str, context: Mapping[str, Any]) -> str:
        return self._environment.get_template(f"{template.value}/{part}").render(context)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _address(raw: str) -> Address:
    name, addr = parseaddr(raw)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in addr):
        raise ValueError(f"{mask_address(raw)} is not an e-mail address")
    return Address(display_name=_one_line(name), username=local, domain=domain)
