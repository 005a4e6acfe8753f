"""A lead's answers to a type's intake questions: checked, snapshotted, rendered.

``bookings.answers`` holds one ``StoredAnswer`` per answered question, in
the host's order, with the question's label and type as they were when the
lead answered: a later edit or removal of the question does not rewrite what
the lead was asked. ``answer_text`` and ``format_answers`` are the one
rendering of them for pages, the calendar event, exports and webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypedDict

import phonenumbers
from pydantic import Field, StrictBool, StrictStr

from leadscalendar.availability.zone_names import zone_country
from leadscalendar.bookings.questions import QuestionType, StoredQuestion, stored_questions
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.i18n import gettext
from leadscalendar.inputs import multi_line, single_line

MAX_SHORT_ANSWER = 500
MAX_LONG_ANSWER = 4000

# What a request may carry per question id: text, the chosen options, or a tick.
AnswerValue = (
    StrictBool
    | Annotated[StrictStr, Field(max_length=MAX_LONG_ANSWER)]
    | Annotated[list[Annotated[StrictStr, Field(max_length=200)]], Field(max_length=20)]
)
AnswersIn = Annotated[dict[StrictStr, AnswerValue], Field(max_length=40)]


class StoredAnswer(TypedDict):
    """One element of ``bookings.answers``: the question as asked, and the answer.

    ``value`` is a string (texts, single choice, phone in E.164), a list of
    strings (multiple choice) or a bool (checkbox).
    """

    question_id: str
    label: str
    type: str
    value: str | list[str] | bool


class AnswersInvalidError(LeadsCalendarError):
    """Some answers are missing or wrong; ``errors`` maps question ids to sentences."""

    def __init__(self, errors: Mapping[str, str], labels: Mapping[str, str]) -> None:
        listed = "; ".join(f"{labels.get(key, key)}: {text}" for key, text in errors.items())
        super().__init__(gettext("Please check your answers.") + " " + listed)
        self.errors = dict(errors)

    def details(self) -> dict[str, object]:
        return {"fields": self.errors}


def phone_region(lead_time_zone: str | None, default_region: str | None) -> str | None:
    """Where a number without "+" is read: the lead's zone's country, else the host's default."""
    return (zone_country(lead_time_zone) if lead_time_zone else None) or default_region


def normalize_phone(text: str, region: str | None) -> str:
    """``030 1234567`` in ``DE`` -> ``+49301234567``; ``ValueError`` with a sentence otherwise."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError(
            gettext("enter a phone number with its country code, e.g. +49 30 1234567")
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(gettext("this is not a valid phone number"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _is_blank(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


def _one(question: StoredQuestion, value: Any, lead_time_zone: str | None) -> Any:
    """The answer to one question in its stored form; ``ValueError`` with a sentence."""
    kind = QuestionType(question["type"])
    if kind is QuestionType.CHECKBOX:
        if not isinstance(value, bool):
            raise ValueError(gettext("tick the box or leave it empty"))
        return value
    if kind is QuestionType.MULTIPLE_CHOICE:
        chosen = [value] if isinstance(value, str) else value
        if not isinstance(chosen, list) or any(c not in question["options"] for c in chosen):
            raise ValueError(gettext("choose from the choices given"))
        # The host's order, each choice once, whatever order the form sent.
        return [option for option in question["options"] if option in chosen]
    if not isinstance(value, str):
        raise ValueError(gettext("write your answer as text"))
    text = value.strip()
    if kind is QuestionType.SINGLE_CHOICE:
        if text not in question["options"]:
            raise ValueError(gettext("choose one of the choices given"))
        return text
    if kind is QuestionType.PHONE:
        region = phone_region(lead_time_zone, question["default_region"])
        return normalize_phone(single_line(text), region)
    limit = MAX_SHORT_ANSWER if kind is QuestionType.SHORT_TEXT else MAX_LONG_ANSWER
    if len(text) > limit:
        raise ValueError(gettext("write at most {limit} characters").format(limit=limit))
    return single_line(text) if kind is QuestionType.SHORT_TEXT else multi_line(text)


def check_answers(
    questions: Any, given: Mapping[str, Any], *, lead_time_zone: str | None
) -> list[StoredAnswer]:
    """The answers as stored, in the host's order; ``AnswersInvalidError`` lists every problem.

    ``questions`` is ``booking_types.questions``; ``given`` maps question ids to
    what the lead sent. A blank optional answer is left out (an unticked
    checkbox is kept as ``False``: "no" is an answer).
    """
    asked = stored_questions(questions)
    labels = {question["id"]: question["label"] for question in asked}
    errors = {key: gettext("there is no such question") for key in given if key not in labels}
    answers: list[StoredAnswer] = []
    for question in asked:
        value = given.get(question["id"])
        if _is_blank(value):
            if question["required"]:
                errors[question["id"]] = gettext("this question needs an answer")
            elif question["type"] == QuestionType.CHECKBOX:
                answers.append(_snapshot(question, False))
            continue
        try:
            answers.append(_snapshot(question, _one(question, value, lead_time_zone)))
        except ValueError as error:
            errors[question["id"]] = str(error)
    if errors:
        raise AnswersInvalidError(errors, labels)
    return answers


def _snapshot(question: StoredQuestion, value: str | list[str] | bool) -> StoredAnswer:
    return StoredAnswer(
        question_id=question["id"], label=question["label"], type=question["type"], value=value
    )


def answer_text(answer: Mapping[str, Any]) -> str:
    """One answer as plain text: choices joined by ", ", a tick as Yes or No."""
    value = answer.get("value")
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def format_answers(answers: Sequence[Mapping[str, Any]] | None) -> list[tuple[str, str]]:
    """``[(label, answer text), ...]`` in the order asked: what pages, exports and mails show."""
    return [(str(answer.get("label", "")), answer_text(answer)) for answer in answers or ()]
