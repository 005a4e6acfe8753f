"""The lead's details form: fields in, ``LeadDetails`` + answers + source out, errors by field.

The form posts each intake question as ``answer-<question id>`` (a multiple
choice as one value per ticked box) and the lead source as hidden fields
carried from the link the lead arrived by (``lead_source.SOURCE_FIELDS``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from leadscalendar.bookings import lead_source
from leadscalendar.bookings.answers import AnswersInvalidError, check_answers
from leadscalendar.bookings.lead_source import LeadSource
from leadscalendar.bookings.models import BookingType
from leadscalendar.bookings.questions import QuestionType, StoredQuestion, stored_questions
from leadscalendar.bookings.schemas import MAX_GUESTS, Guest, LeadDetails
from leadscalendar.web import human_errors

GUEST_SEPARATORS = re.compile(r"[\s,;]+")
ANSWER_PREFIX = "answer-"
# The details the form always has, as re-shown after a refusal.
DETAIL_FIELDS = ("name", "email", "notes", "guests")
MAX_FORM_VALUES = 1000

# Posted form: each field name with every value sent under it.
PostedForm = Mapping[str, Sequence[str]]


async def posted_form(request: Request) -> dict[str, list[str]]:
    """Every value of every field (ticked boxes repeat a name); files are ignored.

    Async so the body is read on the event loop; Starlette keeps the parsed
    form on the request, so the route's own ``Form`` fields read the same one.
    """
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in list(form.multi_items())[:MAX_FORM_VALUES]:
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


def answer_field(question_id: str) -> str:
    return f"{ANSWER_PREFIX}{question_id}"


def raw_answers(booking_type: BookingType, form: PostedForm) -> dict[str, Any]:
    """The posted answers by question id, shaped per type (ticks as booleans, choices as lists)."""
    answers: dict[str, Any] = {}
    for question in stored_questions(booking_type.questions):
        sent = [value for value in form.get(answer_field(question["id"]), ()) if value]
        kind = question["type"]
        if kind == QuestionType.CHECKBOX:
            answers[question["id"]] = bool(sent)
        elif kind == QuestionType.MULTIPLE_CHOICE:
            answers[question["id"]] = sent
        elif sent:
            answers[question["id"]] = sent[0]
    return answers


@dataclass(frozen=True)
class QuestionView:
    """One question as the form shows it, with what the lead sent and any error."""

    question: StoredQuestion
    name: str
    sent: list[str]
    error: str | None

    @property
    def kind(self) -> str:
        return self.question["type"]


def question_views(
    booking_type: BookingType, form: PostedForm | None, errors: Mapping[str, str]
) -> list[QuestionView]:
    return [
        QuestionView(
            question=question,
            name=answer_field(question["id"]),
            sent=list((form or {}).get(answer_field(question["id"]), ())),
            error=errors.get(answer_field(question["id"])),
        )
        for question in stored_questions(booking_type.questions)
    ]


@dataclass
class ParsedForm:
    """The form read: what is valid, and a sentence per field for what is not."""

    lead: LeadDetails | None
    answers: dict[str, Any]
    source: LeadSource
    errors: dict[str, str] = field(default_factory=dict)


def lead_details(
    name: str, email: str, notes: str, guests: str, time_zone: str
) -> LeadDetails | dict[str, str]:
    addresses = [part for part in GUEST_SEPARATORS.split(guests) if part]
    if len(addresses) > MAX_GUESTS:
        return {"guests": f"At most {MAX_GUESTS} guests, please."}
    bad = [address for address in addresses if not _valid_guest(address)]
    if bad:
        return {"guests": f"{bad[0]} is not a valid e-mail address."}
    try:
        return LeadDetails(
            name=name,
            email=email,
            notes=notes,
            guests=tuple(Guest(email=address) for address in addresses),
            time_zone=time_zone,
        )
    except ValidationError as exc:
        return human_errors.field_sentences(exc.errors())


def _valid_guest(address: str) -> bool:
    try:
        Guest(email=address)
    except ValidationError:
        return False
    return True


def first(form: PostedForm, name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def parse(booking_type: BookingType, form: PostedForm, time_zone: str) -> ParsedForm:
    """Read the posted details, answers and source; check the answers as the hold will."""
    name, email, notes, guests = (first(form, name) for name in DETAIL_FIELDS)
    details = lead_details(name, email, notes, guests, time_zone)
    answers = raw_answers(booking_type, form)
    source = lead_source.lenient({name: first(form, name) for name in lead_source.SOURCE_FIELDS})
    parsed = ParsedForm(
        lead=details if isinstance(details, LeadDetails) else None,
        answers=answers,
        source=source,
        errors={} if isinstance(details, LeadDetails) else dict(details),
    )
    try:
        check_answers(booking_type.questions, answers, lead_time_zone=time_zone)
    except AnswersInvalidError as invalid:
        parsed.errors.update(
            {answer_field(key): message for key, message in invalid.errors.items()}
        )
    return parsed


def error_labels(booking_type: BookingType) -> dict[str, str]:
    """The error summary's name for each answer field: the question's label."""
    return {
        answer_field(question["id"]): question["label"]
        for question in stored_questions(booking_type.questions)
    }


def hidden_fields(form: PostedForm) -> list[tuple[str, str]]:
    """The posted details, answers and source as hidden inputs (the slot-taken page re-posts)."""
    kept = [*DETAIL_FIELDS, *lead_source.SOURCE_FIELDS]
    pairs = [(name, value) for name in kept for value in form.get(name, ())[:1]]
    pairs += [
        (name, value)
        for name, values in form.items()
        if name.startswith(ANSWER_PREFIX)
        for value in values
    ]
    return pairs


def link_source(request: Request) -> LeadSource:
    """The source a lead brought to a host or booking page: the link's, else the Referer's."""
    return lead_source.from_link(
        dict(request.query_params), request.headers.get("referer"), str(request.base_url)
    )
