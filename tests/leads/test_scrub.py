"""Masking a lead's words in free text: whole strings, any case, longest first, keys kept."""

from __future__ import annotations

from leadscalendar.leads.scrub import MASK, masker, scrub_json, scrub_text

REPLACEMENTS = {"Lena Lead": "Erased lead", "Lena": MASK, "lena@example.com": "erased@x.invalid"}


def test_the_longest_match_wins_in_any_case() -> None:
    pattern = masker(REPLACEMENTS)
    text = "Mail to LENA@example.com refused; lena lead asked, Lena too."
    assert scrub_text(text, pattern, REPLACEMENTS) == (
        "Mail to erased@x.invalid refused; Erased lead asked, [erased] too."
    )


def test_json_values_are_scrubbed_and_keys_kept() -> None:
    pattern = masker(REPLACEMENTS)
    payload = {
        "to": "lena@example.com",
        "context": {"lead_name": "Lena Lead", "n": 3},
        "l": ["Lena"],
    }
    assert scrub_json(payload, pattern, REPLACEMENTS) == {
        "to": "erased@x.invalid",
        "context": {"lead_name": "Erased lead", "n": 3},
        "l": [MASK],
    }


def test_nothing_to_mask_leaves_text_alone() -> None:
    assert masker({}) is None
    assert scrub_text("Lena", None, {}) == "Lena"
