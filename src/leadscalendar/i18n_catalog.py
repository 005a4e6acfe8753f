"""The lead-facing messages, extracted from the sources as Babel's ``pybabel extract`` would.

Used by the test that keeps the German catalog complete, and by maintainers to
see what to translate: ``python -m leadscalendar.i18n_catalog`` lists each
lead-facing message the catalog of a language lacks.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from leadscalendar.i18n import LANGUAGES, LOCALES_DIR

PACKAGE = Path(__file__).parent
LEAD_MAILS = (
    "booking_confirmed",
    "awaiting_approval",
    "booking_cancelled",
    "booking_declined",
    "booking_rescheduled",
    "refund",
    "reminder",
)
LEAD_MAIL_PARTS = (
    "_layout.html",
    "_booking.txt",
    "_booking.html",
    *(f"{mail}/{part}" for mail in LEAD_MAILS for part in ("subject.txt", "body.txt", "body.html")),
)
# Everything a lead reads: their pages, the error page, and the Python that words them.
LEAD_TEMPLATES = (
    *sorted((PACKAGE / "web" / "templates" / "public").glob("*.html")),
    PACKAGE / "web" / "templates" / "error.html",
    # The lead's mails (the host's stay English).
    *(PACKAGE / "notifications" / "templates" / name for name in LEAD_MAIL_PARTS),
)
LEAD_PYTHON = (
    PACKAGE / "i18n.py",
    PACKAGE / "web" / "lead_views.py",
    PACKAGE / "web" / "lead_context.py",
    PACKAGE / "bookings" / "mails.py",
    PACKAGE / "bookings" / "notices.py",
    PACKAGE / "bookings" / "answers.py",
    PACKAGE / "web" / "human_errors.py",
)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "false"}


def _extracted(path: Path, method: str) -> Iterator[str | tuple[str, ...]]:
    options = JINJA_OPTIONS if method != "python" else {}
    for _line, message, _comments, _context in extract_from_file(
        method, str(path), keywords=KEYWORDS, options=options
    ):
        yield message


def lead_messages() -> list[str | tuple[str, ...]]:
    """Every message id of the lead's pages, in first-seen order, without duplicates."""
    found: dict[str | tuple[str, ...], None] = {}
    for template in LEAD_TEMPLATES:
        found.update(dict.fromkeys(_extracted(template, "jinja2.ext:babel_extract")))
    for module in LEAD_PYTHON:
        found.update(dict.fromkeys(_extracted(module, "python")))
    return list(found)


def missing(language: str) -> list[str | tuple[str, ...]]:
    """The lead's messages that ``language``'s catalog does not translate."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    absent = []
    for message in lead_messages():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        strings = entry.string if entry is not None else ""
        translated = all(strings) if isinstance(strings, tuple) else bool(strings)
        if entry is None or entry.fuzzy or not translated:
            absent.append(message)
    return absent


def main() -> int:
    gaps = {language: missing(language) for language in LANGUAGES if language != "en"}
    for language, messages in gaps.items():
        for message in messages:
            sys.stdout.write(f"{language}: {message!r}\n")
    return 1 if any(gaps.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
