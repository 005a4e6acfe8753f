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
    """Opens one connection per message: mail is rare here, and it keeps failures simple."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    @property
    def description(self) -> str:
        return f"smtp {self._config.address}"

    def send(self, message: EmailMessage) -> None:
        config = self._config
        try:
            with self._connect() as client:
                if config.starttls:
                    client.starttls(context=ssl.create_default_context())
                if config.username:
                    client.login(config.username, config.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _reply_error("the mail server refused the recipient", code, reply) from None
        except smtplib.SMTPAuthenticationError as error:
            raise _reply_error(
                "the mail server refused our login", error.smtp_code, error.smtp_error
            ) from None
        except smtplib.SMTPResponseException as error:
            raise _reply_error(
                "the mail server refused", error.smtp_code, error.smtp_error
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise MailDeliveryError(
                f"the mail server lacks a feature we need: {error}", temporary=False
            ) from None
        except ssl.SSLCertVerificationError as error:
            raise MailDeliveryError(
                f"the mail server's certificate was not trusted: {error.verify_message}",
                temporary=False,
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            # Refused or dropped connections, timeouts, DNS hiccups: all pass with time.
            raise MailDeliveryError(
                f"could not talk to the mail server at {config.address}: "
                f"{type(error).__name__}: {error}",
                temporary=True,
            ) from None

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
