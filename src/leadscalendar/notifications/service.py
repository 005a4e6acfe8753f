"""Queueing mail: always through the job table, in the transaction of its cause.

A mail is enqueued next to the change that calls for it (a connection marked
``needs_reauth``, a job parked, a refund recorded), so it exists if and only
if that change commits, and survives a crash before it is sent. Each cause
has a ``dedupe_key``: running the same cause twice queues one mail.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.google.models import GoogleConnection
from leadscalendar.jobs import Job, NewJob, enqueue
from leadscalendar.notifications.messages import MailTemplate, OutgoingMail, mask_address

logger = logging.getLogger(__name__)

SEND_EMAIL = "send_email"
# SMTP outages are hours at worst; with the default backoff cap (15 min) this is about a day.
MAIL_MAX_ATTEMPTS = 100


@dataclass(frozen=True)
class PendingMail:
    """One worded message and the keys its ``send_email`` job carries, not yet queued.

    What ``enqueue_mail`` queues; a job that sends mails itself
    (``notifications.delivery``) holds these instead, and queues only those
    that did not go.
    """

    mail: OutgoingMail
    dedupe_key: str
    subject_key: str
    host_id: uuid.UUID | None
    run_after: datetime | None = None

    def as_job(self) -> NewJob:
        """The ``send_email`` job that delivers this message (``enqueue_all``)."""
        return NewJob(
            SEND_EMAIL,
            self.mail.to_payload(),
            subject_key=self.subject_key,
            host_id=self.host_id,
            dedupe_key=self.dedupe_key,
            run_after=self.run_after,
            max_attempts=MAIL_MAX_ATTEMPTS,
        )


def pending_mail(
    *,
    template: MailTemplate,
    to: str,
    context: Mapping[str, Any],
    dedupe_key: str,
    subject_key: str,
    host_id: uuid.UUID | None,
    sender_name: str = "",
    reply_to: str = "",
    invitation: Mapping[str, Any] | None = None,
    run_after: datetime | None = None,
) -> PendingMail:
    """Word one message as ``enqueue_mail`` would queue it, without queueing it."""
    mail = OutgoingMail(
        template, to, context, sender_name=sender_name, reply_to=reply_to, invitation=invitation
    )
    return PendingMail(mail, dedupe_key, subject_key, host_id, run_after)


def queue_mail(session: Session, pending: PendingMail) -> Job:
    """Queue a worded message in the caller's transaction; a known dedupe key is a no-op."""
    job = enqueue(
        session,
        SEND_EMAIL,
        pending.mail.to_payload(),
        subject_key=pending.subject_key,
        host_id=pending.host_id,
        dedupe_key=pending.dedupe_key,
        max_attempts=MAIL_MAX_ATTEMPTS,
        run_after=pending.run_after,
    )
    logger.info(
        "mail.queued template=%s to=%s key=%s",
        pending.mail.template.value,
        mask_address(pending.mail.to),
        pending.dedupe_key,
    )
    return job


def enqueue_mail(
    session: Session,
    *,
    template: MailTemplate,
    to: str,
    context: Mapping[str, Any],
    dedupe_key: str,
    subject_key: str,
    host_id: uuid.UUID | None,
    sender_name: str = "",
    reply_to: str = "",
    invitation: Mapping[str, Any] | None = None,
    run_after: datetime | None = None,
) -> Job:
    """Queue one message in the caller's transaction; a second call with the same key is a no-op.

    ``context`` must be JSON of plain values and must hold nothing the
    recipient may not read: it is stored in the job row as is.
    """
    pending = pending_mail(
        template=template,
        to=to,
        context=context,
        dedupe_key=dedupe_key,
        subject_key=subject_key,
        host_id=host_id,
        sender_name=sender_name,
        reply_to=reply_to,
        invitation=invitation,
        run_after=run_after,
    )
    return queue_mail(session, pending)


def needs_reauth_key(connection: GoogleConnection) -> str:
    # token_version moves on reconnection, so the next breakage mails again.
    return f"mail:needs_reauth:{connection.id}:{connection.token_version}"


def notify_needs_reauth(session: Session, connection: GoogleConnection) -> None:
    """Tell the host their Google connection broke and where to reconnect; once per breakage."""
    host = accounts_repository.get_host(session, connection.host_id)
    if host is None:
        return
    enqueue_mail(
        session,
        template=MailTemplate.NEEDS_REAUTH,
        to=host.email,
        context={
            "host_name": host.name,
            "google_email": connection.google_email or "",
            "reason": connection.status_reason or "",
            "connection_id": str(connection.id),
            "token_version": connection.token_version,
        },
        dedupe_key=needs_reauth_key(connection),
        subject_key=f"google_connection:{connection.id}",
        host_id=host.id,
    )
