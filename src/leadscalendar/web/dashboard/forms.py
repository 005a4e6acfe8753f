"""What every dashboard form shares: field errors and whole numbers (money: ``payments.money``)."""

from __future__ import annotations

from pydantic import ValidationError

# The form as the browser sent it: re-rendered unchanged when something is wrong.
FormValues = dict[str, str]
# Field name -> the message shown beside it; "__form__" for the form as a whole.
FieldErrors = dict[str, str]
FORM_ERROR = "__form__"


class FormInvalidError(Exception):
    """Raised by a parser with every problem it found, so the form shows them all at once."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def parse_int(
    values: FormValues, errors: FieldErrors, name: str, *, optional: bool = False
) -> int | None:
    """A whole number from a text field; blank is ``None`` when ``optional``."""
    text = values.get(name, "").strip()
    if not text:
        if not optional:
            errors[name] = "this field is required"
        return None
    try:
        return int(text)
    except ValueError:
        errors[name] = "enter a whole number"
        return None


def pydantic_errors(error: ValidationError, field_for: dict[str, str] | None = None) -> FieldErrors:
    """Pydantic's errors keyed by form field (model field renamed through ``field_for``)."""
    field_for = field_for or {}
    errors: FieldErrors = {}
    for item in error.errors():
        loc = item.get("loc", ())
        model_field = str(loc[0]) if loc else FORM_ERROR
        name = field_for.get(model_field, model_field)
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        errors.setdefault(name, message)
    return errors
