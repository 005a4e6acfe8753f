"""The account mails: verification, "you already have an account", reset, e-mail change.

Each is queued in the transaction of its cause, like every mail. The job row
keeps the link's claims, not the link: ``MailRenderer`` signs it at send time
(``accounts.tokens``). Dedupe keys carry a random part: asking twice is two
mails (the sign-up and reset limits bound how many).
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.accounts.tokens import LinkPurpose, link_claims
from leadscalendar.notifications.messages import MailTemplate
from leadscalendar.notifications.service import enqueue_mail


def _queue(
    session: Session, host: Host, template: MailTemplate, to: str, **context: object
) -> None:
    enqueue_mail(
        session,
        template=template,
        to=to,
        context={"host_name": host.name, **context},
        dedupe_key=f"mail:{template.value}:{host.id}:{secrets.token_hex(8)}",
        subject_key=f"host:{host.id}",
        host_id=host.id,
    )


def mail_verification(session: Session, host: Host) -> None:
    """Send the link that proves the sign-up address is the host's."""
    claims = link_claims(host, LinkPurpose.VERIFY_EMAIL)
    _queue(session, host, MailTemplate.ACCOUNT_VERIFY, host.email, account_link=claims)


def mail_account_exists(session: Session, host: Host) -> None:
    """Tell an address that signed up again that it has an account (no second one is made)."""
    _queue(session, host, MailTemplate.ACCOUNT_EXISTS, host.email)


def mail_password_reset(session: Session, host: Host) -> None:
    """Send a one-hour link to choose a new password."""
    claims = link_claims(host, LinkPurpose.RESET_PASSWORD)
    _queue(session, host, MailTemplate.PASSWORD_RESET, host.email, account_link=claims)


def mail_email_change(session: Session, host: Host, new_email: str, *, taken: bool) -> None:
    """Mail the new address its link (or, if it has an account, that it has one) and tell
    the current address, so a stolen session cannot move the account silently."""
    if taken:
        enqueue_mail(
            session,
            template=MailTemplate.ACCOUNT_EXISTS,
            to=new_email,
            context={"host_name": ""},
            dedupe_key=f"mail:account_exists:{host.id}:{secrets.token_hex(8)}",
            subject_key=f"host:{host.id}",
            host_id=None,
        )
    else:
        claims = link_claims(host, LinkPurpose.CHANGE_EMAIL, new_email=new_email)
        _queue(session, host, MailTemplate.EMAIL_CHANGE, new_email, account_link=claims)
    _queue(session, host, MailTemplate.EMAIL_CHANGE_NOTICE, host.email, new_email=new_email)
