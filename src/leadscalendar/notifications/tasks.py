"""The ``send_email`` job: render the queued message and hand it to the mail server.

Delivery is at least once, as every job is: a crash between the server's
"250 OK" and our commit sends the mail again. The ``Message-ID`` is derived
from the job id, so such a second copy is the same message to any mail
client that deduplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from sqlalchemy.orm import Session

from leadscalendar.google import repository as google_repository
from leadscalendar.google.models import ConnectionStatus
from leadscalendar.jobs import JobContext, JobRegistry, Outcome, Park, Retry, Succeeded
from leadscalendar.notifications.delivery import SMTP_SEND, message_id
from leadscalendar.notifications.digest import PlanDigest, register_digest_tasks
from leadscalendar.notifications.mailer import Mailer
from leadscalendar.notifications.messages import (
    MailContentError,
    MailTemplate,
    OutgoingMail,
    mask_address,
)
from leadscalendar.notifications.park_codes import MailParkCode
from leadscalendar.notifications.service import SEND_EMAIL
from leadscalendar.notifications.smtp import MailDeliveryError
from leadscalendar.observability.metrics import mail_handled

logger = logging.getLogger(__name__)

OPERATION = SMTP_SEND
MAIL_INVALID = MailParkCode.MAIL_INVALID
MAIL_REJECTED = MailParkCode.MAIL_REJECTED

# Told when a mail is refused for good: (session, job subject, recipient, the server's words).
# The bookings domain writes it on the booking's timeline; the booking itself is untouched.
UndeliverableHook = Callable[[Session, str, str, str], None]
# Asked before sending: (session, job subject, the mail) -> why it is stale by now, or None.
# The bookings domain answers for reminders (a cancelled or moved booking, a start passed).
StaleHook = Callable[[Session, str, OutgoingMail], str | None]


def _no_longer_needed(
    ctx: JobContext, mail: OutgoingMail, is_stale: StaleHook | None = None
) -> str | None:
    """Why the mail would be stale by now (the host already reconnected), or None."""
    if is_stale is not None:
        with ctx.read() as session:
            reason = is_stale(session, ctx.job.subject_key, mail)
        if reason:
            return reason
    if mail.template is not MailTemplate.NEEDS_REAUTH or ctx.job.host_id is None:
        return None
    with ctx.read() as session:
        connection = google_repository.get_connection(session, ctx.job.host_id)
        if connection is None:
            return "the host disconnected Google"
        if connection.status is ConnectionStatus.ACTIVE and connection.token_version != (
            mail.context.get("token_version")
        ):
            return "the host reconnected Google before the mail went out"
    return None


@dataclass(frozen=True)
class Undeliverable:
    """Tell the mail's domain (``on_undeliverable``) that it was refused for good."""

    name: ClassVar[str] = "mail.undeliverable"
    subject_key: str
    to: str
    reason: str
    hook: UndeliverableHook | None = field(default=None, repr=False, compare=False)

    def apply(self, session: Session) -> None:
        if self.hook is not None:
            self.hook(session, self.subject_key, self.to, self.reason)


def send_email(
    ctx: JobContext,
    mailer: Mailer,
    on_undeliverable: UndeliverableHook | None = None,
    is_stale: StaleHook | None = None,
) -> Outcome:
    """Send one queued message; 4xx and network trouble retry, 5xx parks with the reason."""
    try:
        mail = OutgoingMail.from_payload(ctx.job.payload)
        stale = _no_longer_needed(ctx, mail, is_stale)
        if stale:
            mail_handled(mail.template.value, "stale")
            return Succeeded(f"not sent: {stale}")
        message = mailer.renderer.render(
            mail, message_id=message_id(ctx.job.id, mailer.renderer.mail_from)
        )
    except MailContentError as error:
        logger.error("mail.invalid job_id=%s error=%s", ctx.job.id, error)
        mail_handled(_template_label(ctx.job.payload.get("template")), "invalid")
        return Park(MAIL_INVALID, f"The e-mail could not be built: {error}", operation=OPERATION)
    to = mask_address(mail.to)
    try:
        mailer.transport.send(message)
    except MailDeliveryError as error:
        logger.warning(
            "mail.failed job_id=%s template=%s to=%s temporary=%s error=%s",
            ctx.job.id,
            mail.template.value,
            to,
            error.temporary,
            error.message,
        )
        mail_handled(mail.template.value, "temporary_failure" if error.temporary else "rejected")
        if error.temporary:
            return Retry(reason=error.message, operation=OPERATION)
        undeliverable = Undeliverable(ctx.job.subject_key, mail.to, error.message, on_undeliverable)
        return Park(
            MAIL_REJECTED,
            f"The mail server would not deliver the e-mail to {mail.to}: {error.message}",
            operation=OPERATION,
            effects=(undeliverable, PlanDigest(ctx.job.host_id)),
        )
    verb = "sent" if mailer.sends else "recorded, not sent (no SMTP configured)"
    mail_handled(mail.template.value, "sent" if mailer.sends else "recorded")
    if mailer.sends:  # without SMTP the transport's mail.not_sent line says it already
        logger.info("mail.sent job_id=%s template=%s to=%s", ctx.job.id, mail.template.value, to)
    return Succeeded(f"{mail.template.value} mail {verb}", operation=OPERATION)


def _template_label(value: object) -> str:
    """A known template's name, or ``unknown``: a bad payload must not invent metric series."""
    known = {template.value for template in MailTemplate}
    return value if isinstance(value, str) and value in known else "unknown"


def register_mail_tasks(
    registry: JobRegistry,
    mailer: Mailer,
    *,
    on_undeliverable: UndeliverableHook | None = None,
    is_stale: StaleHook | None = None,
) -> JobRegistry:
    """Add the ``send_email`` and ``host_digest`` handlers to a worker's registry."""
    registry.register(SEND_EMAIL, lambda ctx: send_email(ctx, mailer, on_undeliverable, is_stale))
    return register_digest_tasks(registry)
