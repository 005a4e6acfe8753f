"""Validation problems in sentences for people, never in pydantic's words."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from leadscalendar.bookings.schemas import LeadDetails
from leadscalendar.web.human_errors import field_sentences, sentence, summary
from tests.support.booking_env import BookingEnv
from tests.support.lead_pages import details_form, form_fields, submit_details

STACK_WORDS = ("String should", "Field required", "Value error", "value_error", "loc", "pydantic")


def problems(**fields: object) -> list[dict[str, object]]:
    data: dict[str, object] = {"name": "Lena", "email": "lena@example.com", **fields}
    with pytest.raises(ValidationError) as caught:
        LeadDetails.model_validate(data)
    return [dict(problem) for problem in caught.value.errors()]


@pytest.mark.parametrize(
    ("fields", "field", "expected"),
    [
        ({"name": ""}, "name", "Please fill in your name."),
        ({"email": "lena@"}, "email", "Please check your e-mail address"),
        ({"notes": "x" * 4001}, "notes", "Your notes can be at most 4000 characters long."),
        ({"name": "Le\nna"}, "name", "Your name must be one line of text"),
        ({"time_zone": "Mars/Base"}, "time_zone", "is not a time zone we know"),
    ],
)
def test_each_problem_is_a_sentence_for_the_reader(
    fields: dict[str, object], field: str, expected: str
) -> None:
    messages = field_sentences(problems(**fields))
    assert expected in messages[field]
    for word in STACK_WORDS:
        assert word not in messages[field]


def test_a_missing_field_asks_for_it() -> None:
    assert sentence({"type": "missing", "loc": ("query", "start")}) == "Please fill in the date."
    assert "booking link" in summary([{"type": "missing", "loc": ("query", "token")}])


def test_the_details_form_explains_an_empty_name(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    form = details_form(client, "session")
    page = submit_details(client, "session", form_fields(form.text, name="  "))
    assert page.status_code == 400
    assert "Please fill in your name." in page.text
    assert "String should have at least 1 character" not in page.text


def test_a_link_without_its_token_is_explained(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get(f"/bookings/{uuid.uuid4()}")
    assert page.status_code == 400
    assert "This booking link is incomplete" in page.text
    for word in STACK_WORDS:
        assert word not in page.text.split("<main>")[1], word
