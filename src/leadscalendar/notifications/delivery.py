"""Mails sent by the job that worded them, instead of one ``send_email`` job each.

A cause with mails to send at once (a paid booking: the lead's confirmation
and the host's notice) sends them from its own job, in the job's call-out
phase, over one connection: a claim, an outcome and their log lines per mail
were most of the worker's cost of a booking. What goes stays on record as a
``send_email`` row born succeeded (``jobs.record_done_all``): same dedupe key,
same payload for the lead's data export. What does not go (a passing or a
final failure, even a message that cannot be built) is queued as the
``send_email`` job it would have been, so its retries, backoff, parking and
undeliverable notice are those of every mail.

Delivery stays at least once: a crash after the server's "250 OK" and before
the outcome commits sends again when the job re-runs, as a ``send_email`` job
would.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy.orm import Session

from leadscalendar.jobs import enqueue_all, record_done_all
from leadscalendar.notifications.mailer import Mailer
from leadscalendar.notifications.messages import MailContentError, mask_address
from leadscalendar.notifications.service import PendingMail
from leadscalendar.notifications.smtp import MailDeliveryError
from leadscalendar.observability.metrics import mail_handled

logger = logging.getLogger(__name__)

# The operation named on the attempt rows of jobs that send mail.
SMTP_SEND = "smtp.send"


def message_id(job_id: uuid.UUID, mail_from: str) -> str:
    """The ``Message-ID`` of a job's mail: a resent copy is the same message to a client."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "leadscalendar.invalid"
    return f"<{job_id}@{domain}>"


@dataclass(frozen=True)
class Delivery:
    """What a job sent itself, and what is left for ``send_email`` jobs."""

    sent: tuple[PendingMail, ...] = ()
    failed: tuple[PendingMail, ...] = ()


def deliver_now(mailer: Mailer, pending: Sequence[PendingMail], job_id: uuid.UUID) -> Delivery:
    """Render and send over one connection; call with no transaction open."""
    rendered: list[tuple[PendingMail, EmailMessage]] = []
    failed: list[PendingMail] = []
    for item in pending:
        # One Message-ID per mail, stable across re-runs of the same job.
        mail_id = uuid.uuid5(job_id, item.dedupe_key)
        try:
            message = mailer.renderer.render(
                item.mail, message_id=message_id(mail_id, mailer.renderer.mail_from)
            )
        except MailContentError:
            failed.append(item)  # its send_email job parks with the reason, as ever
            continue
        rendered.append((item, message))
    errors = mailer.transport.send_all([message for _, message in rendered]) if rendered else []
    sent: list[PendingMail] = []
    for (item, _), error in zip(rendered, errors, strict=True):
        _log(mailer, job_id, item, error)
        (sent if error is None else failed).append(item)
    return Delivery(tuple(sent), tuple(failed))


def _log(
    mailer: Mailer, job_id: uuid.UUID, item: PendingMail, error: MailDeliveryError | None
) -> None:
    template, to = item.mail.template.value, mask_address(item.mail.to)
    if error is not None:
        logger.warning(
            "mail.failed job_id=%s template=%s to=%s temporary=%s error=%s handed_to=send_email",
            job_id,
            template,
            to,
            error.temporary,
            error.message,
        )
        mail_handled(template, "temporary_failure" if error.temporary else "rejected")
        return
    mail_handled(template, "sent" if mailer.sends else "recorded")
    if mailer.sends:  # without SMTP the transport's mail.not_sent line says it already
        logger.info("mail.sent job_id=%s template=%s to=%s", job_id, template, to)


def record_sent(session: Session, delivery: Delivery) -> None:
    """Keep the sent mails on record (and their dedupe keys taken), in one statement."""
    if delivery.sent:
        record_done_all(session, [item.as_job() for item in delivery.sent])


def hand_over(session: Session, delivery: Delivery) -> None:
    """Queue the mails that did not go as ordinary ``send_email`` jobs."""
    if delivery.failed:
        enqueue_all(session, [item.as_job() for item in delivery.failed])
