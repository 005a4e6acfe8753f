"""The lead's language: which one a request speaks, and its translated words.

Lead pages and lead e-mails speak English or German; the dashboard stays
English. The catalogs are the ``.po`` files in ``locales/``, compiled in
memory at first use (Babel's ``read_po``/``write_mo``), so a fresh clone
needs no compile step and no ``.mo`` can drift from its ``.po``.

The language lives in a context variable, not in the shared Jinja
environment: requests run concurrently on threads and tasks, and each copies
its own context, so one lead's German never leaks into another's page.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import date
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"
# The switcher's names, each in its own language.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}

_current: ContextVar[str] = ContextVar("leadscalendar_language", default=DEFAULT_LANGUAGE)


def supported(code: str | None) -> str | None:
    """``code`` if it is one of ours (``de``, ``DE``, ``de-AT`` -> ``de``), else None."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The browser's most preferred language we speak, by its q-values (RFC 9110)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().replace("-", "_")))
    preferred = [tag for _, _, tag in sorted(ranked)]
    return supported(negotiate_locale(preferred, list(LANGUAGES), sep="_"))


def choose(requested: str | None, remembered: str | None, accept_language: str | None) -> str:
    """The switcher's ``?lang=``, else the cookie it left, else the browser's, else English."""
    return (
        supported(requested)
        or supported(remembered)
        or from_accept_language(accept_language)
        or DEFAULT_LANGUAGE
    )


def current() -> str:
    """The language of the request or mail being rendered."""
    return _current.get()


def activate(language: str) -> Token[str]:
    """Speak ``language`` in this context until ``deactivate`` (for middleware)."""
    return _current.set(supported(language) or DEFAULT_LANGUAGE)


def deactivate(token: Token[str]) -> None:
    _current.reset(token)


@contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Render in ``language`` inside the block, e.g. a lead's mail in the booking's language."""
    token = activate(language or DEFAULT_LANGUAGE)
    try:
        yield current()
    finally:
        deactivate(token)


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``language`` (English is the source: no catalog)."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def gettext(message: str) -> str:
    """``message`` in the current language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural of a message, by the current language's plural rule."""
    return translations(current()).ngettext(singular, plural, count)


def babel_locale() -> Locale:
    """The current language as a Babel ``Locale``, for dates and prices."""
    return Locale.parse(current())


_ = gettext


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark only, translate later"
    """Mark a constant for the catalog; it is translated where it is shown."""
    return message


# Formatting for the lead. English keeps the wording the pages always had ("Tuesday
# 1 December 2026", "90.00 EUR"); other languages follow CLDR through Babel.


def format_money(amount_minor: int, code: str) -> str:
    """``90.00 EUR`` in English, ``90,00 €`` in German."""
    from leadscalendar.payments import money  # payments sits above this module's callers

    if current() == DEFAULT_LANGUAGE:
        return money.format_money(amount_minor, code)
    value = Decimal(money.format_amount(amount_minor, code))
    return format_currency(value, code.upper(), locale=babel_locale())


def format_price(amount_minor: int, code: str) -> str:
    """A booking's price: ``Free`` (in the lead's words) or the amount."""
    if amount_minor <= 0:
        return gettext("Free")
    return format_money(amount_minor, code)


def format_day(day: date) -> str:
    """``Tuesday 1 December 2026``, ``Dienstag, 1. Dezember 2026``."""
    if current() == DEFAULT_LANGUAGE:
        return f"{day:%A} {day.day} {day:%B %Y}"
    return format_date(day, "full", locale=babel_locale())


def format_short_day(day: date) -> str:
    """``Tue 3 Dec 2026``, ``Di., 3. Dez. 2026``."""
    if current() == DEFAULT_LANGUAGE:
        return f"{day:%a} {day.day} {day:%b %Y}"
    return format_skeleton("yMMMEd", day, locale=babel_locale())


def format_month(month: date) -> str:
    """``December 2026``, ``Dezember 2026``."""
    if current() == DEFAULT_LANGUAGE:
        return f"{month:%B %Y}"
    return format_date(month, "LLLL y", locale=babel_locale())


def format_duration(minutes: int) -> str:
    """``30 minutes``, ``1 hour``, ``1 hour 30 minutes`` (in the current language)."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours})
    if rest or not hours:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", rest) % {"num": rest})
    return " ".join(parts)


def weekday_names() -> tuple[tuple[str, str], ...]:
    """Monday first: (full name, abbreviation) for a month grid's head."""
    if current() == DEFAULT_LANGUAGE:
        names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        return tuple((name, name[:3]) for name in names)
    days = babel_locale().days["format"]
    return tuple((days["wide"][index], days["abbreviated"][index]) for index in range(7))
