"""Intake questions and answers: each type's rules, phone numbers in E.164, the snapshot."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from leadscalendar.bookings.answers import (
    AnswersInvalidError,
    answer_text,
    check_answers,
    format_answers,
    normalize_phone,
    phone_region,
)
from leadscalendar.bookings.questions import QuestionIn, to_stored

QUESTIONS: list[dict[str, Any]] = [
    {"id": "company", "label": "Company", "type": "short_text", "required": True},
    {"id": "goal", "label": "Your goal", "type": "long_text"},
    {"id": "size", "label": "Team size", "type": "single_choice", "options": ["1-10", "11+"]},
    {
        "id": "topics",
        "label": "Topics",
        "type": "multiple_choice",
        "options": ["Sales", "Hiring", "Money"],
    },
    {"id": "terms", "label": "I accept the terms", "type": "checkbox", "required": True},
    {"id": "phone", "label": "Phone", "type": "phone", "default_region": "GB"},
]
STORED = [dict(q) for q in to_stored([QuestionIn.model_validate(q) for q in QUESTIONS])]
VALID = {"company": "Acme", "terms": True}


def _check(given: dict[str, Any], zone: str | None = "Europe/Berlin") -> list[dict[str, Any]]:
    return [dict(answer) for answer in check_answers(STORED, given, lead_time_zone=zone)]


def _errors(given: dict[str, Any], zone: str | None = "Europe/Berlin") -> dict[str, str]:
    with pytest.raises(AnswersInvalidError) as refused:
        _check(given, zone)
    return refused.value.errors


def test_answers_are_snapshots_in_the_hosts_order() -> None:
    answers = _check(
        {
            "topics": ["Money", "Sales", "Money"],
            "company": "  Acme  ",
            "terms": True,
            "size": "11+",
            "phone": "030 1234567",
        }
    )
    assert [a["question_id"] for a in answers] == ["company", "size", "topics", "terms", "phone"]
    assert answers[0] == {
        "question_id": "company",
        "label": "Company",
        "type": "short_text",
        "value": "Acme",
    }
    # The host's order of choices, each once, whatever the form sent.
    assert answers[2]["value"] == ["Sales", "Money"]
    assert answers[4]["value"] == "+49301234567"


def test_an_unticked_optional_box_is_no_and_blank_optionals_are_left_out() -> None:
    stored = [dict(q) for q in to_stored([QuestionIn(label="Newsletter?", type="checkbox")])]
    answers = check_answers(stored, {}, lead_time_zone="UTC")
    assert [a["value"] for a in answers] == [False]
    assert {a["question_id"] for a in _check({**VALID, "goal": "", "topics": []})} == {
        "company",
        "terms",
    }


def test_every_problem_is_named_by_question() -> None:
    errors = _errors(
        {
            "size": "50",
            "topics": ["Sales", "Cooking"],
            "terms": False,
            "phone": "12",
            "goal": "x" * 4001,
            "nope": "?",
        }
    )
    assert set(errors) == {"company", "size", "topics", "terms", "phone", "goal", "nope"}
    assert errors["company"] == "this question needs an answer"
    assert errors["terms"] == "this question needs an answer"
    assert errors["nope"] == "there is no such question"
    assert "4000" in errors["goal"]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"company": "Acme\r\nBcc: x@example.com"}, "company"),
        ({"company": "A" * 501}, "company"),
        ({"goal": "null\x00byte"}, "goal"),
        ({"size": ["1-10"]}, "size"),
        ({"terms": "yes"}, "terms"),
        ({"company": True}, "company"),
    ],
)
def test_wrong_shapes_and_control_characters_are_refused(given: dict[str, Any], field: str) -> None:
    assert field in _errors({**VALID, **given})


def test_long_text_keeps_its_line_breaks() -> None:
    answers = _check({**VALID, "goal": "First line\nSecond line"})
    assert answers[1]["value"] == "First line\nSecond line"


@pytest.mark.parametrize(
    ("typed", "zone", "default", "stored"),
    [
        # The lead's zone says where a national number is from.
        ("030 1234567", "Europe/Berlin", None, "+49301234567"),
        ("0664 1234567", "Europe/Vienna", "DE", "+436641234567"),
        # No country in the zone: the question's default applies.
        ("020 7946 0958", "UTC", "GB", "+442079460958"),
        # A "+" number is read as written, wherever the lead is.
        ("+1 (415) 555-2671", "Europe/Berlin", None, "+14155552671"),
        ("+44 20 7946 0958", None, None, "+442079460958"),
    ],
)
def test_phone_numbers_are_stored_in_e164(
    typed: str, zone: str | None, default: str | None, stored: str
) -> None:
    assert normalize_phone(typed, phone_region(zone, default)) == stored


@pytest.mark.parametrize(
    ("typed", "zone", "message"),
    [
        ("030 1234567", "UTC", "country code"),  # no region to read a national number in
        ("not a number", "Europe/Berlin", "country code"),
        ("+49 12", "Europe/Berlin", "not a valid phone number"),
        ("+1 555 0000 0000 0000", "Europe/Berlin", "not a valid phone number"),
    ],
)
def test_phone_numbers_that_are_no_number_are_refused(typed: str, zone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_phone(typed, phone_region(zone, None))


def test_rendering_for_pages_and_exports() -> None:
    answers = _check({**VALID, "topics": ["Sales", "Hiring"], "goal": "Grow"})
    assert format_answers(answers) == [
        ("Company", "Acme"),
        ("Your goal", "Grow"),
        ("Topics", "Sales, Hiring"),
        ("I accept the terms", "Yes"),
    ]
    assert answer_text({"value": False}) == "No"
    assert format_answers(None) == []


@pytest.mark.parametrize(
    "question",
    [
        {"label": "Size", "type": "single_choice", "options": ["only one"]},
        {"label": "Size", "type": "multiple_choice", "options": ["a", "A"]},
        {"label": "Name", "type": "short_text", "options": ["a", "b"]},
        {"label": "Name", "type": "short_text", "default_region": "DE"},
        {"label": "Phone", "type": "phone", "default_region": "XX"},
        {"label": "", "type": "short_text"},
        {"label": "Line\nbreak", "type": "short_text"},
        {"label": "Kind", "type": "essay"},
        {"id": "Bad Id!", "label": "Name", "type": "short_text"},
    ],
)
def test_questions_that_cannot_be_asked_are_refused(question: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        QuestionIn.model_validate(question)


def test_new_questions_get_ids_and_kept_ones_keep_theirs() -> None:
    stored = to_stored(
        [QuestionIn(id="kept", label="A", type="short_text"), QuestionIn(label="B", type="phone")]
    )
    assert stored[0]["id"] == "kept"
    assert stored[1]["id"] and stored[1]["id"] != "kept"
