"""A local mail catcher: an SMTP sink (aiosmtpd) and a page listing every mail it caught.

The demo points the application's SMTP setting here, so every confirmation,
reminder and host notice can be read (as HTML, as text, with attachments)
and nothing leaves the machine. It imports nothing of the application.
"""

from leadscalendar.sandbox.mail.app import create_mailbox_app, run_mail_sandbox
from leadscalendar.sandbox.mail.store import CaughtMail, Mailbox, MailSink

__all__ = ["CaughtMail", "MailSink", "Mailbox", "create_mailbox_app", "run_mail_sandbox"]
