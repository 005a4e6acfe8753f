"""Sending one message over SMTP, and telling a passing failure from a final one.

The whole server address, credentials included, is one setting
(``LEADSCALENDAR_SMTP_URL``), so it is parsed here once and the password lives
only in ``SmtpConfig``: it never appears in a log line, a job's reason or a
``repr``. Failures become ``MailDeliveryError`` with ``temporary`` set the way
the job queue needs it: 4xx replies, refused connections and timeouts are
worth another try; 5xx replies mean a person must act.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from leadscalendar.errors import ConfigurationError

logger = logging.getLogger(__name__)

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    # Implicit TLS from the first byte (smtps://, usually port 465).
    implicit_tls: bool = False
    # Plain connection upgraded with STARTTLS before anything else is said.
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_seconds: float = 10.0
    # The name we greet the server with; smtplib's default asks DNS for our FQDN.
    local_hostname: str | None = None

    @property
    def address(self) -> str:
        """Where mail goes, safe to log: no credentials."""
        return f"{self.host}:{self.port}"

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float = 10.0) -> SmtpConfig:
        """Parse ``smtp[s]://[user[:password]@]host[:port][?starttls=1&helo=name]``.

        User and password are percent-decoded, so a password may contain
        ``@``, ``:`` or ``/`` written as ``%40``, ``%3A``, ``%2F``.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ConfigurationError("LEADSCALENDAR_SMTP_URL must start with smtp:// or smtps://.")
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError:
            raise ConfigurationError("LEADSCALENDAR_SMTP_URL has an invalid port.") from None
        if not parts.hostname:
            raise ConfigurationError("LEADSCALENDAR_SMTP_URL names no host.")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"starttls", "helo", "timeout"}
        if unknown:
            raise ConfigurationError(
                f"LEADSCALENDAR_SMTP_URL has unknown options: {', '.join(sorted(unknown))}."
            )
        starttls = query.get("starttls", "").lower() in TRUE_WORDS
        if starttls and scheme == "smtps":
            raise ConfigurationError("Use smtps:// or ?starttls=1, not both.")
        if "timeout" in query:
            try:
                timeout_seconds = float(query["timeout"])
            except ValueError:
                raise ConfigurationError(
                    "LEADSCALENDAR_SMTP_URL timeout must be a number."
                ) from None
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=scheme == "smtps",
            starttls=starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            timeout_seconds=timeout_seconds,
            local_hostname=query.get("helo") or None,
        )


class MailDeliveryError(Exception):
    """The message did not go out; ``temporary`` says whether trying later can help."""

    def __init__(self, message: str, *, temporary: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary
        self.code = code


def _reply_error(what: str, code: int, reply: bytes | str) -> MailDeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    # 5xx is the server's final word; anything else (4xx, -1 on a dropped line) may pass.
    return MailDeliveryError(
        f"{what}: {code} {text}".strip(), temporary=not 500 <= code < 600, code=code
    )


class SmtpTransport:
    """One connection per call: mail is rare here, and it keeps failures simple.

    ``send_all`` shares one connection between the messages of one cause (a
    paid booking's lead and host mails).
    """

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    @property
    def description(self) -> str:
        return f"smtp {self._config.address}"

    def send(self, message: EmailMessage) -> None:
        (error,) = self.send_all([message])
        if error is not None:
            raise error

    def send_all(self, messages: Sequence[EmailMessage]) -> list[MailDeliveryError | None]:
        """Send over one connection; each message's failure (or None) in order, never raised.

        A reply about one message (a refused recipient) fails only that one; a
        broken connection fails it and every message not sent yet.
        """
        config = self._config
        results: list[MailDeliveryError | None] = []
        try:
            with self._connect() as client:
                if config.starttls:
                    client.starttls(context=ssl.create_default_context())
                if config.username:
                    client.login(config.username, config.password or "")
                for message in messages:
                    try:
                        client.send_message(message)
                        results.append(None)
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                        results.append(self._delivery_error(error))
        except (smtplib.SMTPException, OSError) as error:
            failure = self._delivery_error(error)
            results.extend(failure for _ in range(len(messages) - len(results)))
        return results

    def _delivery_error(self, error: Exception) -> MailDeliveryError:
        """A failure in the job queue's terms: ``temporary`` when time may fix it."""
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            code, reply = next(iter(error.recipients.values()))
            return _reply_error("the mail server refused the recipient", code, reply)
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return _reply_error(
                "the mail server refused our login", error.smtp_code, error.smtp_error
            )
        if isinstance(error, smtplib.SMTPResponseException):
            return _reply_error("the mail server refused", error.smtp_code, error.smtp_error)
        if isinstance(error, smtplib.SMTPNotSupportedError):
            return MailDeliveryError(
                f"the mail server lacks a feature we need: {error}", temporary=False
            )
        if isinstance(error, ssl.SSLCertVerificationError):
            return MailDeliveryError(
                f"the mail server's certificate was not trusted: {error.verify_message}",
                temporary=False,
            )
        # Refused or dropped connections, timeouts, DNS hiccups: all pass with time.
        return MailDeliveryError(
            f"could not talk to the mail server at {self._config.address}: "
            f"{type(error).__name__}: {error}",
            temporary=True,
        )

    def _connect(self) -> smtplib.SMTP:
        config = self._config
        if config.implicit_tls:
            return smtplib.SMTP_SSL(
                config.host,
                config.port,
                local_hostname=config.local_hostname,
                timeout=config.timeout_seconds,
                context=ssl.create_default_context(),
            )
        return smtplib.SMTP(
            config.host,
            config.port,
            local_hostname=config.local_hostname,
            timeout=config.timeout_seconds,
        )
