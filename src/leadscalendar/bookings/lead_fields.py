"""What a lead told us, stored on their booking: the one list of lead data fields.

The CSV export (``bookings.export``), the lead's data export and the lead's
erasure (``leads.service``) all read ``LEAD_FIELDS``, so a new piece of lead
data (intake answers, the lead source) is one more line here and is then
exported, handed over on request and erased with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from leadscalendar.bookings.answers import format_answers
from leadscalendar.bookings.lead_source import SOURCE_FIELDS
from leadscalendar.bookings.models import Booking

# What an erased booking says instead of the lead's name.
ERASED_NAME = "Erased lead"
ERASED_DOMAIN = "erased.invalid"


def erased_email(booking: Booking) -> str:
    """A per-booking address that cannot receive mail (``.invalid`` is reserved, RFC 2606).

    Distinct per booking, so two erased bookings are never "the same lead" again.
    """
    return f"erased-{booking.id.hex}@{ERASED_DOMAIN}"


def _text(value: Any) -> tuple[str, ...]:
    return ("" if value is None else str(value),)


def _guests(value: Any) -> tuple[str, ...]:
    guests = value or []
    return (
        "; ".join(
            f"{guest.get('name')} <{guest['email']}>" if guest.get("name") else guest["email"]
            for guest in guests
        ),
    )


def _answers(value: Any) -> tuple[str, ...]:
    """Every answer in one cell, ``Label: answer`` in the order asked, one per line."""
    return ("\n".join(f"{label}: {text}" for label, text in format_answers(value)),)


def _source(value: Any) -> tuple[str, ...]:
    """One column per source field (``utm_source`` ... ``referrer``), blank when not given."""
    return tuple(str((value or {}).get(name, "")) for name in SOURCE_FIELDS)


def _plain(value: Any) -> Iterator[str]:
    """Every string inside ``value`` (nested lists and dicts included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _plain(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _plain(item)


def _answer_values(value: Any) -> Iterator[str]:
    """The lead's own words only, not the host's question labels or types."""
    for answer in value or ():
        yield from _plain(answer.get("value"))


def _nothing(_value: Any) -> Iterator[str]:
    return iter(())


@dataclass(frozen=True)
class LeadField:
    """One attribute of ``Booking`` that holds lead data."""

    attribute: str
    # The CSV columns the field becomes, and how its value fills them.
    headers: tuple[str, ...]
    cells: Callable[[Any], tuple[str, ...]]
    # What replaces the value when the lead's data is erased.
    tombstone: Callable[[Booking], Any]
    # The strings in it that name or reach the lead (a name, an address, a phone
    # number): on erasure these are also masked wherever they were copied into
    # free text (mail jobs, timelines, payment records) of the lead's bookings.
    identifying: Callable[[Any], Iterator[str]] = _nothing


LEAD_FIELDS: tuple[LeadField, ...] = (
    LeadField("lead_name", ("lead_name",), _text, lambda _b: ERASED_NAME, _plain),
    LeadField("lead_email", ("lead_email",), _text, erased_email, _plain),
    LeadField("notes", ("notes",), _text, lambda _b: "", _plain),
    LeadField("guests", ("guests",), _guests, lambda _b: [], _plain),
    LeadField("answers", ("answers",), _answers, lambda _b: [], _answer_values),
    LeadField("source", SOURCE_FIELDS, _source, lambda _b: {}),
)


def lead_headers() -> tuple[str, ...]:
    return tuple(header for field in LEAD_FIELDS for header in field.headers)


def lead_cells(booking: Booking) -> tuple[str, ...]:
    return tuple(
        cell for field in LEAD_FIELDS for cell in field.cells(getattr(booking, field.attribute))
    )


def lead_values(booking: Booking) -> dict[str, Any]:
    """The lead's data on one booking, as stored (for the lead's data export)."""
    return {field.attribute: getattr(booking, field.attribute) for field in LEAD_FIELDS}


# Shorter strings ("Al", "x") would mask unrelated words in the texts we scrub.
MIN_IDENTIFYING_LENGTH = 3


def identifying_strings(booking: Booking) -> set[str]:
    """The strings of a booking that name the lead or their guests, to mask in free text."""
    return {
        text
        for field in LEAD_FIELDS
        for text in field.identifying(getattr(booking, field.attribute))
        if len(text.strip()) >= MIN_IDENTIFYING_LENGTH
    }


def erase_fields(booking: Booking) -> None:
    """Replace every lead field of the booking by its tombstone."""
    for field in LEAD_FIELDS:
        setattr(booking, field.attribute, field.tombstone(booking))
