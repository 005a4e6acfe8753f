"""The German catalog translates every message of the lead's pages, as extracted by Babel."""

from __future__ import annotations

from leadscalendar import i18n_catalog


def test_the_extraction_finds_the_lead_pages_messages() -> None:
    messages = i18n_catalog.lead_messages()
    # One from a template's trans block, one from a Python module, one plural.
    assert "Pick a time" in messages
    assert "Please fill in {what}." in messages
    assert ("%(num)d hour", "%(num)d hours") in messages


def test_no_lead_facing_message_lacks_its_german() -> None:
    assert i18n_catalog.missing("de") == []
