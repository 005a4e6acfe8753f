"""The booking type form: HTML fields <-> ``BookingTypeIn``.

The form speaks the host's language (a price of ``90.00``, "Google Meet" or a
place, up to five reminder rows); ``BookingTypeIn`` speaks the database's
(minor units, a Meet flag, a list of pairs). This module translates both ways
and turns every refusal into a message beside the field that caused it.
"""

from __future__ import annotations

from pydantic import ValidationError

from leadscalendar.bookings.booking_types import MAX_REMINDERS, BookingTypeIn
from leadscalendar.bookings.models import BookingType, SendUpdates
from leadscalendar.payments.money import format_amount, is_supported, parse_amount
from leadscalendar.web.dashboard.forms import (
    FieldErrors,
    FormInvalidError,
    FormValues,
    parse_int,
    pydantic_errors,
)

INT_FIELDS = (
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "max_days_ahead",
    "slot_step_minutes",
    "hold_minutes",
    "refund_cutoff_hours",
)
TEXT_FIELDS = ("title", "slug", "description", "currency", "location", "calendar_id")
CHECKBOXES = ("requires_approval", "active", "remind_host", "answers_in_event")
LOCATION_KINDS = ("none", "place", "meet")

# Where a model field's error is shown on the form.
FIELD_FOR = {
    "price_minor": "price",
    "google_meet": "location",
    "reminders": "reminders",
    "mail_reminder_minutes": "mail_reminders",
}
# A duration as hosts write it: "24h", "90m", "2d", or plain minutes.
DURATION_UNITS = {"d": 24 * 60, "h": 60, "m": 1, "": 1}

SEND_UPDATES_LABELS = {
    SendUpdates.ALL: "E-mail everyone (lead and guests)",
    SendUpdates.EXTERNAL_ONLY: "E-mail only people outside your organisation",
    SendUpdates.NONE: "Send no e-mails from Google",
}


def reminder_fields(index: int) -> tuple[str, str]:
    return f"reminder_method_{index}", f"reminder_minutes_{index}"


def initial_values(booking_type: BookingType | None) -> FormValues:
    """The form's fields for a new type (the model's defaults) or an existing one."""
    if booking_type is None:
        defaults = BookingTypeIn.model_fields
        values: FormValues = {
            name: str(defaults[name].default) for name in INT_FIELDS if name != "duration_minutes"
        }
        values.update(
            duration_minutes="30",
            price="0.00",
            currency="eur",
            location_kind="none",
            send_updates=SendUpdates.ALL.value,
            active="on",
            mail_reminders=format_offsets(
                defaults["mail_reminder_minutes"].get_default(call_default_factory=True)
            ),
        )
        return values
    values = {name: str(getattr(booking_type, name)) for name in INT_FIELDS}
    values.update(
        title=booking_type.title,
        slug=booking_type.slug,
        description=booking_type.description,
        price=format_amount(booking_type.price_minor, booking_type.currency),
        currency=booking_type.currency,
        location=booking_type.location or "",
        location_kind="meet"
        if booking_type.google_meet
        else ("place" if booking_type.location else "none"),
        daily_limit="" if booking_type.daily_limit is None else str(booking_type.daily_limit),
        calendar_id=booking_type.calendar_id or "",
        send_updates=booking_type.send_updates.value,
        mail_reminders=format_offsets(booking_type.mail_reminder_minutes),
    )
    for index, (method, minutes) in enumerate(booking_type.reminders or []):
        method_field, minutes_field = reminder_fields(index)
        values[method_field], values[minutes_field] = str(method), str(minutes)
    for name in CHECKBOXES:
        if getattr(booking_type, name):
            values[name] = "on"
    return values


def format_offsets(minutes: list[int]) -> str:
    """``[1440, 60, 90]`` as a host reads it: ``"24h, 1h, 90m"``."""
    parts = []
    for value in minutes:
        if value % (24 * 60) == 0 and value >= 48 * 60:
            parts.append(f"{value // (24 * 60)}d")
        elif value % 60 == 0:
            parts.append(f"{value // 60}h")
        else:
            parts.append(f"{value}m")
    return ", ".join(parts)


def _mail_reminders(values: FormValues, errors: FieldErrors) -> list[int] | None:
    """``"24h, 1h"`` as minutes; blank is no reminder e-mails at all."""
    minutes: list[int] = []
    for part in values.get("mail_reminders", "").replace(";", ",").split(","):
        text = part.strip().lower().replace(" ", "")
        if not text:
            continue
        number, unit = text.rstrip("dhm"), text[len(text.rstrip("dhm")) :]
        if not number.isdigit() or unit not in DURATION_UNITS:
            errors["mail_reminders"] = 'write times like "24h, 1h" or "30m"'
            return None
        minutes.append(int(number) * DURATION_UNITS[unit])
    return minutes


def _reminders(values: FormValues, errors: FieldErrors) -> list[tuple[str, int]] | None:
    reminders: list[tuple[str, int]] = []
    for index in range(MAX_REMINDERS):
        method_field, minutes_field = reminder_fields(index)
        method = values.get(method_field, "").strip()
        minutes_text = values.get(minutes_field, "").strip()
        if not method and not minutes_text:
            continue
        if not method:
            errors[method_field] = "choose e-mail or pop-up"
            continue
        minutes = parse_int(values, errors, minutes_field)
        if minutes is not None:
            reminders.append((method, minutes))
    # No rows at all: the calendar's own default reminders apply.
    return reminders or None


def parse(values: FormValues) -> BookingTypeIn:
    """The submitted form as ``BookingTypeIn``, or ``FormInvalidError`` with every problem."""
    errors: FieldErrors = {}
    raw: dict[str, object] = {name: values.get(name, "") for name in TEXT_FIELDS}
    for name in INT_FIELDS:
        raw[name] = parse_int(values, errors, name)
    raw["daily_limit"] = parse_int(values, errors, "daily_limit", optional=True)
    currency = values.get("currency", "").strip().lower() or "eur"
    # An unknown currency is the currency field's error; the price cannot be read without it.
    if is_supported(currency):
        try:
            raw["price_minor"] = parse_amount(values.get("price", ""), currency)
        except ValueError as error:
            errors["price"] = str(error)
    kind = values.get("location_kind", "none")
    if kind not in LOCATION_KINDS:
        errors["location"] = "choose where the meeting happens"
    location = values.get("location", "").strip()
    if kind == "place" and not location:
        errors["location"] = "enter an address, a phone number or a link"
    raw["location"] = location if kind == "place" else None
    raw["google_meet"] = kind == "meet"
    raw["calendar_id"] = values.get("calendar_id", "").strip() or None
    raw["send_updates"] = values.get("send_updates", "")
    raw["reminders"] = _reminders(values, errors)
    raw["mail_reminder_minutes"] = _mail_reminders(values, errors)
    for name in CHECKBOXES:
        raw[name] = values.get(name) == "on"
    try:
        data = BookingTypeIn.model_validate(
            {key: value for key, value in raw.items() if value is not None or key in _NULLABLE}
        )
    except ValidationError as error:
        for name, message in pydantic_errors(error, FIELD_FOR).items():
            # The model's only whole-form rule is the minimum price.
            errors.setdefault("price" if name == "__form__" else name, message)
        raise FormInvalidError(errors) from None
    if errors:
        raise FormInvalidError(errors)
    return data


_NULLABLE = frozenset({"location", "daily_limit", "calendar_id", "reminders"})
