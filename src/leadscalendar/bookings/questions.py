"""A booking type's intake questions: what the host asks every lead, in the host's order.

Stored as a JSON list on ``booking_types.questions`` (one dict per question,
see ``StoredQuestion``), not in a table of their own: a type's questions are
read and replaced as a whole (the dashboard's edits, the host API's PUT), and
a booking keeps a snapshot of each question beside its answer
(``bookings.answers``), so nothing ever joins a booking to today's questions.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from typing import Any, TypedDict

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadscalendar.inputs import SingleLineText

MAX_QUESTIONS = 20
MAX_OPTIONS = 20
MAX_LABEL = 200
MAX_OPTION = 200
QUESTION_ID = r"^[a-z0-9][a-z0-9_-]{0,31}$"


class QuestionType(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    CHECKBOX = "checkbox"
    PHONE = "phone"


CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})
# How the dashboard names each type.
TYPE_LABELS = {
    QuestionType.SHORT_TEXT: "Short text",
    QuestionType.LONG_TEXT: "Long text",
    QuestionType.SINGLE_CHOICE: "Single choice",
    QuestionType.MULTIPLE_CHOICE: "Multiple choice",
    QuestionType.CHECKBOX: "Checkbox",
    QuestionType.PHONE: "Phone number",
}


class StoredQuestion(TypedDict):
    """One element of ``booking_types.questions``."""

    id: str
    label: str
    type: str
    required: bool
    options: list[str]
    # Phone questions: the ISO 3166 region a number without "+" is read in when the
    # lead's time zone names no country (e.g. "DE"); None elsewhere.
    default_region: str | None


class QuestionIn(BaseModel):
    """One question as the host writes it (dashboard form and host API alike).

    ``id`` is blank for a new question (one is chosen when the type is saved)
    and kept on edits, so the host API can tell which answer is which.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    id: str | None = Field(default=None, pattern=QUESTION_ID)
    label: SingleLineText = Field(min_length=1, max_length=MAX_LABEL)
    type: QuestionType
    required: bool = False
    options: list[SingleLineText] = Field(default_factory=list, max_length=MAX_OPTIONS)
    default_region: SingleLineText | None = Field(default=None, min_length=2, max_length=2)

    @field_validator("options")
    @classmethod
    def _options(cls, value: list[str]) -> list[str]:
        options = [option.strip() for option in value]
        if any(not option or len(option) > MAX_OPTION for option in options):
            raise ValueError(f"each choice needs 1 to {MAX_OPTION} characters")
        if len({option.casefold() for option in options}) != len(options):
            raise ValueError("each choice must be different")
        return options

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("use a two-letter country code such as DE or US")
        return region

    @model_validator(mode="after")
    def _fits_its_type(self) -> QuestionIn:
        if self.type in CHOICE_TYPES and len(self.options) < 2:
            raise ValueError("a choice question needs at least two choices")
        if self.type not in CHOICE_TYPES and self.options:
            raise ValueError("only choice questions have choices")
        if self.type is not QuestionType.PHONE and self.default_region:
            raise ValueError("only phone questions have a default country")
        return self


def check_unique_ids(questions: Sequence[QuestionIn]) -> None:
    """Refuse two questions with one id (``ValueError``, for the validator that calls it)."""
    ids = [question.id for question in questions if question.id]
    if len(set(ids)) != len(ids):
        raise ValueError("two questions have the same id")


def new_question_id() -> str:
    return secrets.token_hex(6)


def to_stored(questions: Sequence[QuestionIn]) -> list[StoredQuestion]:
    """The questions as saved on the type; a question without an id gets one now.

    Ids are chosen here, not in validation: validated input must be the same
    on a retried request (the idempotency fingerprint is the validated body).
    """
    return [
        StoredQuestion(
            id=question.id or new_question_id(),
            label=question.label,
            type=question.type.value,
            required=question.required,
            options=list(question.options),
            default_region=question.default_region,
        )
        for question in questions
    ]


def stored_questions(raw: Any) -> list[StoredQuestion]:
    """``booking_types.questions`` as typed dicts (an older row may hold ``None``)."""
    return [
        StoredQuestion(
            id=str(item["id"]),
            label=str(item["label"]),
            type=str(item["type"]),
            required=bool(item.get("required")),
            options=[str(option) for option in item.get("options") or []],
            default_region=item.get("default_region"),
        )
        for item in raw or []
    ]
