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
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.google.models import GoogleConnection
from leadscalendar.jobs import Job, enqueue
from leadscalendar.notifications.messages import MailTemplate, OutgoingMail, mask_address

logger = logging.getLogger(__name__)

SEND_EMAIL = "send_email"
# SMTP outages are hours at worst; with the default backoff cap (15 min) this is about a day.
MAIL_MAX_ATTEMPTS = 100


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
    mail = OutgoingMail(
        template, to, context, sender_name=sender_name, reply_to=reply_to, invitation=invitation
    )
    job = enqueue(
        session,
        SEND_EMAIL,
        mail.to_payload(),
        subject_key=subject_key,
        host_id=host_id,
        dedupe_key=dedupe_key,
        max_attempts=MAIL_MAX_ATTEMPTS,
        run_after=run_after,
    )
    logger.info(
        "mail.queued template=%s to=%s key=%s", template.value, mask_address(to), dedupe_key
    )
    return job


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
