"""The lead's language: how it is chosen, and how German words dates, prices and durations."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from leadscalendar import i18n
from leadscalendar.web import lead_views


def test_the_switcher_beats_the_cookie_which_beats_the_browser() -> None:
    assert i18n.choose("de", "en", "en-US") == "de"
    assert i18n.choose(None, "de", "en-US") == "de"
    assert i18n.choose("fr", "xx", "de-AT,en;q=0.5") == "de"
    assert i18n.choose(None, None, None) == "en"


def test_the_browsers_preference_is_read_by_quality_not_by_position() -> None:
    assert i18n.from_accept_language("fr-FR, en;q=0.4, de;q=0.9") == "de"
    assert i18n.from_accept_language("de;q=0, en") == "en"
    assert i18n.from_accept_language("fr, es") is None
    assert i18n.from_accept_language("de-CH") == "de"


def test_german_words_dates_prices_and_durations_in_german() -> None:
    with i18n.speaking("de"):
        assert lead_views.duration_label(90) == "1 Stunde 30 Minuten"
        assert lead_views.duration_label(120) == "2 Stunden"
        assert lead_views.day_label(date(2026, 12, 1)) == "Dienstag, 1. Dezember 2026"
        assert i18n.format_price(9000, "eur") == "90,00\xa0€"
        assert i18n.format_price(0, "eur") == "Kostenlos"
        assert i18n.format_month(date(2026, 12, 1)) == "Dezember 2026"
        when = lead_views.moment(
            datetime(2026, 12, 1, 8, tzinfo=UTC), datetime(2026, 12, 1, 9, tzinfo=UTC), "UTC"
        )
        assert when.text == "Dienstag, 1. Dezember 2026 um 08:00\u201309:00 (UTC)"
    # Outside the block the lead's pages read as they always did.
    assert lead_views.duration_label(90) == "1 hour 30 minutes"
    assert i18n.format_price(9000, "eur") == "90.00 EUR"


def test_each_thread_keeps_its_own_language() -> None:
    seen: dict[str, str] = {}
    german_inside = threading.Event()
    english_read = threading.Event()

    def german() -> None:
        with i18n.speaking("de"):
            german_inside.set()
            english_read.wait(5)
            seen["de"] = i18n.gettext("Pick a time")

    thread = threading.Thread(target=german)
    thread.start()
    german_inside.wait(5)
    seen["en"] = i18n.gettext("Pick a time")
    english_read.set()
    thread.join(5)
    assert seen == {"de": "Termin wählen", "en": "Pick a time"}
