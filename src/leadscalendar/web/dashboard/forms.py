"""What every dashboard form shares: field errors, whole numbers, money in minor units."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pydantic import ValidationError

# The form as the browser sent it: re-rendered unchanged when something is wrong.
FormValues = dict[str, str]
# Field name -> the message shown beside it; "__form__" for the form as a whole.
FieldErrors = dict[str, str]
FORM_ERROR = "__form__"

# Stripe's zero-decimal currencies: 500 JPY is 500 minor units, not 5.00.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)


class FormInvalidError(Exception):
    """Raised by a parser with every problem it found, so the form shows them all at once."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def exponent(currency: str) -> int:
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


def format_money(amount_minor: int, currency: str) -> str:
    """``9000, "eur"`` -> ``"90.00 EUR"``: how hosts think of prices, not cents."""
    digits = exponent(currency)
    value = Decimal(amount_minor).scaleb(-digits)
    return f"{value:.{digits}f} {currency.upper()}"


def format_amount(amount_minor: int, currency: str) -> str:
    """The number alone, as the price field shows it (``"90.00"``)."""
    digits = exponent(currency)
    return f"{Decimal(amount_minor).scaleb(-digits):.{digits}f}"


def parse_amount(text: str, currency: str) -> int:
    """``"90"``/``"90.00"``/``"90,5"`` -> minor units; raises ``ValueError`` with a message."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return 0
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("enter an amount such as 90.00") from None
    if not value.is_finite() or value < 0:
        raise ValueError("enter an amount of zero or more")
    digits = exponent(currency)
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(
            f"{currency.upper()} has {digits} decimal places"
            if digits
            else f"{currency.upper()} has no decimal places"
        )
    return int(minor.quantize(Decimal(1), rounding=ROUND_HALF_UP))


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
