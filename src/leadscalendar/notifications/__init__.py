"""E-mail to hosts and leads, sent by the durable job queue (``send_email`` jobs).

Causes enqueue with ``enqueue_mail`` (or ``notify_needs_reauth``) in their
own transaction; ``register_mail_tasks`` gives a worker the handler that
renders and sends; ``build_mailer`` picks SMTP or log-only from settings.
"""

from leadscalendar.notifications.mailer import LogOnlyTransport, Mailer, MailTransport, build_mailer
from leadscalendar.notifications.messages import (
    MailContentError,
    MailRenderer,
    MailTemplate,
    OutgoingMail,
)
from leadscalendar.notifications.service import (
    SEND_EMAIL,
    enqueue_mail,
    needs_reauth_key,
    notify_needs_reauth,
)
from leadscalendar.notifications.smtp import MailDeliveryError, SmtpConfig, SmtpTransport
from leadscalendar.notifications.tasks import register_mail_tasks, send_email

__all__ = [
    "SEND_EMAIL",
    "LogOnlyTransport",
    "MailContentError",
    "MailDeliveryError",
    "MailRenderer",
    "MailTemplate",
    "MailTransport",
    "Mailer",
    "OutgoingMail",
    "SmtpConfig",
    "SmtpTransport",
    "build_mailer",
    "enqueue_mail",
    "needs_reauth_key",
    "notify_needs_reauth",
    "register_mail_tasks",
    "send_email",
]
