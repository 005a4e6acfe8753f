"""Logging set-up: structured lines through structlog, with a last line of defence against secrets.

Every line, from our ``logging.getLogger(__name__)`` calls, from libraries and
from structlog loggers alike, goes through one stdlib handler whose
``structlog.stdlib.ProcessorFormatter`` renders it as JSON (production: one
object per line for a log shipper) or as readable ``key=value`` text
(development), with the context bound for the request or job at hand
(``request_id``, ``booking_id``, ``job_id``: contextvars, so threads started
through anyio and the worker's job threads carry them).

Our code never logs tokens on purpose, but libraries do at DEBUG (requests-
oauthlib logs the whole token response; uvicorn logs callback URLs carrying
``code=``). A log record factory masks anything shaped like a token, a bearer
header or a client secret when the record is created, so no handler, ours or a
test's, ever sees the secret; structlog's own events are masked the same way,
and the renderers mask once more whatever reaches them (context values, the
formatted traceback). Lead details get the same treatment where they have a
shape: e-mail addresses, and the parts of database errors that quote rows or
parameters (engines also run with ``hide_parameters``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"),
    re.compile(
        # Any key ending in token, secret or password; ``code`` only as a whole key, so
        # ``status_code=`` or ``park_code=`` stay readable. A key is tried only where a
        # word starts: tried at every character, this pattern cost ~90 us per log line.
        r"(?i)((?:(?<![A-Za-z0-9_-])[A-Za-z0-9_-]*(?:token|secret|password|password_hash)"
        r"|code_verifier"
        # The separator may be URL-encoded (%3D, or %253D twice over): a booking link
        # inside another URL's query (``next=/bookings/1%3Ftoken%3D...``) is a token too.
        r"|(?<![A-Za-z0-9_])code)[\"']?\s*(?:[:=]|%(?:25)?3[dD])\s*[\"']?)[^\"'&\s,}]+"
    ),
    re.compile(r"()ya29\.[A-Za-z0-9._-]+"),
    re.compile(r"()1//[A-Za-z0-9._-]+"),
    re.compile(r"()whsec_[A-Za-z0-9]+"),
    re.compile(r"()sk_(?:test|live)_[A-Za-z0-9]+"),
    # Lead details: e-mail addresses (plain or URL-encoded), the DETAIL line of a
    # PostgreSQL error (it quotes the offending row or key) and statement parameters.
    re.compile(
        r"()(?<![A-Za-z0-9._%+-])[A-Za-z0-9._+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    ),
    re.compile(r"(DETAIL:\s*)[^\n]+"),
    re.compile(r"(\[parameters:\s*)[^\n]+"),
)

# Libraries whose DEBUG output is mostly request and token dumps.
CHATTY_LOGGERS = (
    "requests_oauthlib",
    "oauthlib",
    "urllib3",
    "httpx",
    "httpcore",
    "googleapiclient",
)

_installed = False

# For uvicorn's ``log_config``: its loggers keep no handler of their own and pass every
# line (the access log included) to ours. Explicit rather than ``None``: uvicorn's
# default configuration, once applied in a process, would otherwise stay in force.
UVICORN_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        name: {"handlers": [], "propagate": True}
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
    },
}


# One pass over the text instead of one per pattern: every log record goes
# through here (it was 5 % of a busy worker's CPU as seven passes). Each
# alternative keeps its first group, the part that stays readable. Case-blind
# as a whole: for the fixed prefixes (ya29., sk_test_) that only redacts more.
_ANY_SECRET = re.compile(
    "|".join(f"(?:{pattern.pattern.removeprefix('(?i)')})" for pattern in SECRET_PATTERNS),
    re.IGNORECASE,
)


def _keep_prefix(match: re.Match[str]) -> str:
    prefix = next(group for group in match.groups() if group is not None)
    return prefix + "[redacted]"


def redact(text: str) -> str:
    return _ANY_SECRET.sub(_keep_prefix, text)


def _redact_record(record: logging.LogRecord) -> None:
    """Mask the message, and the traceback a handler would print, before any handler runs.

    The arguments are kept whenever masking each of them is enough: some
    formatters read ``record.args`` themselves (uvicorn's access formatter
    unpacks the client, method, path, version and status from it), and a
    record without them made that formatter fail on every request.
    """
    if isinstance(record.msg, dict):  # a structlog event, rendered by our formatter later
        record.msg = _redacted_values(record.msg)
        return
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return
    clean = redact(message)
    if clean != message:
        masked = _masked_args(record)
        if masked is not None:
            record.args = masked
        else:
            record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        # Formatters reuse exc_text when it is set: exception messages (a database
        # error quoting a lead's row) are masked like the message is.
        record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))


_TRACEBACKS = logging.Formatter()


def _masked_args(record: logging.LogRecord) -> tuple[object, ...] | None:
    """The arguments with each string masked, if that masks the whole message; else None."""
    if not isinstance(record.args, tuple) or not isinstance(record.msg, str):
        return None
    masked = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
    try:
        rendered = record.msg % masked
    except (TypeError, ValueError):
        return None
    return masked if redact(rendered) == rendered else None


def _install_redacting_record_factory() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


LogFormat = Literal["json", "console"]


# Keys whose values we write ourselves, or that are formatted (then masked) later.
_OWN_KEYS = frozenset({"level", "logger", "timestamp", "exc_info", "stack_info"})
# Context values (request, job and booking ids) repeat on every line of their request or
# job: their verdict is remembered instead of searched again for each line.
_CACHED_UP_TO_CHARS = 256


@lru_cache(maxsize=8192)
def _redact_short(text: str) -> str:
    return redact(text)


def _redacted_values(
    event: MutableMapping[str, Any], skip: frozenset[str] = frozenset()
) -> MutableMapping[str, Any]:
    """The event with every value masked; values of other types only when their text leaks."""
    clean: dict[str, Any] | None = None
    for key, value in event.items():
        if (
            key in _OWN_KEYS
            or key in skip
            or key.startswith("_")
            or value is None
            or isinstance(value, bool | int | float)
        ):
            continue
        text = value if isinstance(value, str) else str(value)
        masked = _redact_short(text) if len(text) <= _CACHED_UP_TO_CHARS else redact(text)
        if masked != text:
            clean = clean if clean is not None else dict(event)
            clean[key] = masked
    return event if clean is None else clean


_EVENT = frozenset({"event"})


def _redact_event(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """The renderers' last step before output: no value leaves unmasked, whatever its path.

    A stdlib record's message was masked when the record was made (the factory
    above); the rest (context, a structlog event's values, the traceback
    formatted just before) is masked here.
    """
    from_stdlib = event.get("_from_structlog") is False
    return _redacted_values(event, _EVENT if from_stdlib else frozenset())


_SHARED: tuple[Processor, ...] = (
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
)


def build_formatter(log_format: LogFormat) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of our handler: JSON or readable, masked after the traceback is text."""
    renderer: Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=list(_SHARED),
        processors=[
            # Tracebacks become text here, so the next step masks them too.
            structlog.processors.format_exc_info,
            _redact_event,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )


def _configure_structlog() -> None:
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure_logging(level: str = "INFO", log_format: LogFormat = "console") -> None:
    """Idempotent: the CLI, the app factory and the worker may all call it."""
    _install_redacting_record_factory()
    _configure_structlog()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_leadscalendar", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._leadscalendar = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(build_formatter(log_format))
    root.setLevel(level.upper())
    chatty_level = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty_level)


@contextmanager
def log_context(**values: object) -> Iterator[None]:
    """Every line logged in the block (and in threads started via anyio) carries ``values``."""
    with structlog.contextvars.bound_contextvars(**values):
        yield


def bind_log_context(**values: object) -> None:
    """Add ``values`` to the current context until it ends (a request's task, say)."""
    structlog.contextvars.bind_contextvars(**values)


def current_log_context() -> MutableMapping[str, Any]:
    return structlog.contextvars.get_contextvars()
