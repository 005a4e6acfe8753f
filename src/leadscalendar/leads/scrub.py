"""Masking a lead's words where they were copied into free text (pure functions).

A lead's name and address travel: into queued mails' payloads, a job's error
("the mail server would not deliver the e-mail to ..."), a timeline line. On
erasure each copy is replaced by its tombstone, case-insensitively, longest
first (so "Lena Lead" goes before "Lena" could split it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "[erased]"


def masker(replacements: Mapping[str, str]) -> re.Pattern[str] | None:
    """One pattern for every string to mask, or None when there is nothing to mask."""
    if not replacements:
        return None
    ordered = sorted(replacements, key=len, reverse=True)
    return re.compile("|".join(re.escape(text) for text in ordered), re.IGNORECASE)


def scrub_text(text: str, pattern: re.Pattern[str] | None, replacements: Mapping[str, str]) -> str:
    if pattern is None or not text:
        return text
    folded = {key.casefold(): value for key, value in replacements.items()}
    return pattern.sub(lambda match: folded.get(match.group(0).casefold(), MASK), text)


def scrub_json(value: Any, pattern: re.Pattern[str] | None, replacements: Mapping[str, str]) -> Any:
    """``value`` with every string inside it scrubbed (keys are ours, and kept)."""
    if isinstance(value, str):
        return scrub_text(value, pattern, replacements)
    if isinstance(value, dict):
        return {key: scrub_json(item, pattern, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_json(item, pattern, replacements) for item in value]
    return value
