"""Intake questions and lead source on the pages: the host's dashboard and the lead's form."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select

from leadscalendar.bookings.models import Booking
from tests.support.app_env import csrf_from
from tests.support.booking_env import BookingEnv
from tests.support.dashboard import booking_type, submit, type_form
from tests.support.lead_pages import HIDDEN, LEAD_FORM, held_from, hidden_fields, slot_links

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def _questions_url(env: BookingEnv, slug: str = "intro") -> str:
    return f"/dashboard/types/{booking_type(env.services, slug).id}/questions"


def _add(env: BookingEnv, **fields: str) -> httpx.Response:
    url = _questions_url(env)
    return submit(env.host.client, f"{url}/new", url, fields, follow=True)


def _labels(env: BookingEnv) -> list[str]:
    return [q["label"] for q in booking_type(env.services, "intro").questions]


def _field_error(page: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', page)
    assert match, f"no error shown for {name}"
    return html.unescape(match.group(1))


def _host_questions(env: BookingEnv) -> dict[str, str]:
    """Company (required text), Phone (required), Topics (multiple choice), in that order."""
    assert _add(env, label="Phone", type="phone", required="on").status_code == 200
    _add(env, label="Company", type="short_text", required="on")
    _add(env, label="Topics", type="multiple_choice", options="Sales\nHiring\nMoney")
    moved = booking_type(env.services, "intro").questions[1]["id"]
    page = env.host.client.get(f"/dashboard/types/{booking_type(env.services, 'intro').id}")
    env.host.client.post(
        f"{_questions_url(env)}/{moved}/up", data={"csrf_token": csrf_from(page.text)}
    )
    return {q["label"]: q["id"] for q in booking_type(env.services, "intro").questions}


def test_the_host_adds_edits_reorders_and_removes_questions(booking_env: BookingEnv) -> None:
    env = booking_env
    refused = _add(env, label="Size", type="single_choice", options="Only one")
    assert refused.status_code == 400
    assert "at least two choices" in _field_error(refused.text, "options")
    assert 'value="Size"' in refused.text, "the form keeps what the host typed"
    assert _labels(env) == []

    ids = _host_questions(env)
    assert _labels(env) == ["Company", "Phone", "Topics"]
    type_page = env.host.client.get(f"/dashboard/types/{booking_type(env.services, 'intro').id}")
    assert type_page.text.index("Company") < type_page.text.index("Phone")

    url = f"{_questions_url(env)}/{ids['Phone']}"
    edited = submit(
        env.host.client, url, url, {"label": "Mobile", "type": "phone", "default_region": "at"}
    )
    assert edited.status_code == 303
    mobile = booking_type(env.services, "intro").questions[1]
    assert (mobile["label"], mobile["default_region"], mobile["required"]) == (
        "Mobile",
        "AT",
        False,
    )
    assert mobile["id"] == ids["Phone"], "an edit keeps the question's id"
    bad_region = submit(
        env.host.client, url, url, {"label": "Mobile", "type": "phone", "default_region": "ZZ"}
    )
    assert "country code" in _field_error(bad_region.text, "default_region")

    page = env.host.client.get(url)
    removed = env.host.client.post(
        f"{url}/remove", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert _labels(env) == ["Company", "Topics"]
    assert env.host.client.get(f"{_questions_url(env)}/nope").status_code == 404

    # The type form's own option, and saving the type keeps its questions.
    intro = booking_type(env.services, "intro")
    saved = submit(
        env.host.client,
        f"/dashboard/types/{intro.id}",
        f"/dashboard/types/{intro.id}",
        type_form(slug="intro", title="Intro", answers_in_event="on"),
    )
    assert saved.status_code == 303, saved.text
    assert booking_type(env.services, "intro").answers_in_event
    assert _labels(env) == ["Company", "Topics"]


def test_a_lead_answers_with_the_source_of_their_link(booking_env: BookingEnv) -> None:
    env = booking_env
    ids = _host_questions(env)
    landing = env.lead.get(
        "/coach",
        params={"utm_source": "newsletter", "utm_campaign": "spring", "ref": "p7"},
        headers={"Referer": "https://blog.example.org/posts/42"},
    )
    type_link = next(h for h in re.findall(r'href="([^"]+)"', landing.text) if "/coach/intro" in h)
    carried = parse_qs(urlsplit(html.unescape(type_link)).query)
    assert carried["referrer"] == ["https://blog.example.org"] and carried["ref"] == ["p7"]

    page = env.lead.get(html.unescape(type_link) + "&tz=Europe/Berlin")
    form = env.lead.get(slot_links(page.text)[0])
    hidden = hidden_fields(form.text)
    assert hidden["utm_source"] == "newsletter" and hidden["referrer"] == "https://blog.example.org"
    for question_id in ids.values():
        assert f'name="answer-{question_id}"' in form.text

    refused = env.lead.post(
        "/coach/intro/book",
        data={**hidden, **LEAD_FORM, f"answer-{ids['Phone']}": "12"},
        headers=GERMAN,
    )
    assert refused.status_code == 400
    assert _field_error(refused.text, f"answer-{ids['Company']}") == (
        "Diese Frage braucht eine Antwort."
    )
    assert "keine gültige Telefonnummer" in _field_error(refused.text, f"answer-{ids['Phone']}")
    assert hidden_fields(refused.text)["ref"] == "p7", "the source survives a refusal"

    answers = {
        f"answer-{ids['Company']}": "Acme <script>",
        f"answer-{ids['Phone']}": "030 1234567",
        f"answer-{ids['Topics']}": ["Money", "Sales"],
    }
    held = held_from(env.lead.post("/coach/intro/book", data={**hidden, **LEAD_FORM, **answers}))
    assert "+49301234567" in held.review.text and "Acme &lt;script&gt;" in held.review.text
    with env.services.session_factory() as session:
        booking = session.scalars(select(Booking).where(Booking.id == held.booking_id)).one()
    assert [(a["label"], a["value"]) for a in booking.answers] == [
        ("Company", "Acme <script>"),
        ("Phone", "+49301234567"),
        ("Topics", ["Sales", "Money"]),
    ]
    assert booking.source == {
        "utm_source": "newsletter",
        "utm_campaign": "spring",
        "ref": "p7",
        "referrer": "https://blog.example.org",
    }

    detail = env.host.client.get(f"/dashboard/bookings/{booking.id}")
    assert "Acme &lt;script&gt;" in detail.text and "<script>" not in detail.text.split("<main")[1]
    assert "+49301234567" in detail.text and "Sales, Money" in detail.text
    assert "https://blog.example.org" in detail.text and "spring" in detail.text
    listed = env.host.client.get("/dashboard/bookings", params={"source": "SPRING"})
    assert f"/dashboard/bookings/{booking.id}" in listed.text
    other = env.host.client.get("/dashboard/bookings", params={"source": "autumn"})
    assert f"/dashboard/bookings/{booking.id}" not in other.text

    # The same time again: the taken page's alternatives re-post answers and source.
    again = {**hidden, **LEAD_FORM, **answers, "nonce": "second-form"}
    taken = env.lead.post("/coach/intro/book", data=again)
    assert taken.status_code == 409
    alternative = re.search(
        r'<form method="post" action="/coach/intro/book">.*?</form>', taken.text, re.S
    )
    assert alternative
    reposted: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(alternative.group(0)):
        reposted.setdefault(name, []).append(html.unescape(value))
    assert reposted[f"answer-{ids['Topics']}"] == ["Money", "Sales"]
    assert reposted["utm_campaign"] == ["spring"]
    moved = held_from(env.lead.post("/coach/intro/book", data=reposted))
    with env.services.session_factory() as session:
        second = session.scalars(select(Booking).where(Booking.id == moved.booking_id)).one()
    assert second.answers == booking.answers and second.source == booking.source
