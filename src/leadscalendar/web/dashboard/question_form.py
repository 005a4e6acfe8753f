"""The intake question form: HTML fields <-> ``QuestionIn``, with each error beside its field.

Choices are typed one per line (what a host writes in a list); the required
flag is a checkbox; the default country only applies to phone questions.
"""

from __future__ import annotations

from pydantic import ValidationError

from leadscalendar.bookings.questions import (
    CHOICE_TYPES,
    TYPE_LABELS,
    QuestionIn,
    QuestionType,
    StoredQuestion,
)
from leadscalendar.web.dashboard.forms import (
    FORM_ERROR,
    FieldErrors,
    FormInvalidError,
    FormValues,
    pydantic_errors,
)

# Where the model's whole-question rules are shown.
RULE_FIELDS = {
    "a choice question needs at least two choices": "options",
    "only choice questions have choices": "options",
    "only phone questions have a default country": "default_region",
}


def initial_values(question: StoredQuestion | None) -> FormValues:
    if question is None:
        return {"type": QuestionType.SHORT_TEXT.value}
    values: FormValues = {
        "label": question["label"],
        "type": question["type"],
        "options": "\n".join(question["options"]),
        "default_region": question["default_region"] or "",
    }
    if question["required"]:
        values["required"] = "on"
    return values


def parse(values: FormValues, question_id: str | None) -> QuestionIn:
    """The submitted question, or ``FormInvalidError`` naming every field that is wrong."""
    kind = values.get("type", "")
    options = [line.strip() for line in values.get("options", "").splitlines() if line.strip()]
    raw = {
        "id": question_id,
        "label": values.get("label", ""),
        "type": kind,
        "required": values.get("required") == "on",
        # Choices typed for another type are ignored, not refused: the host switched types.
        "options": options if kind in CHOICE_TYPES else [],
        "default_region": (
            values.get("default_region", "").strip() or None if kind == QuestionType.PHONE else None
        ),
    }
    try:
        return QuestionIn.model_validate(raw)
    except ValidationError as error:
        errors: FieldErrors = {}
        for name, message in pydantic_errors(error).items():
            field = RULE_FIELDS.get(message, name) if name == FORM_ERROR else name
            errors.setdefault(field, message)
        raise FormInvalidError(errors) from None


def type_choices() -> dict[str, str]:
    return {kind.value: label for kind, label in TYPE_LABELS.items()}
