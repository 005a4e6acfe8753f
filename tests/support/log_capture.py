"""Capture what our log handler would print, rendered by our own formatter (JSON or console)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from leadscalendar.logging import LogFormat, build_formatter, configure_logging


@contextmanager
def captured_log(log_format: LogFormat = "json") -> Iterator[io.StringIO]:
    """Everything logged in the block (root logger, INFO and up), as our handler renders it."""
    configure_logging("INFO")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter(log_format))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
