"""Lead pages in the lead's language: browser preference, the switcher and its cookie."""

from __future__ import annotations

import html

from sqlalchemy import select

from leadscalendar.bookings.models import Booking
from leadscalendar.web.language import COOKIE
from tests.support.booking_env import BookingEnv
from tests.support.lead_pages import details_form, form_fields, held_from, submit_details

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def test_a_german_browser_gets_the_booking_page_in_german(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/coach/session", params={"tz": "Europe/Berlin"}, headers=GERMAN)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert '<html lang="de">' in text
    assert "Termin wählen" in text and "Pick a time" not in text
    assert "1 Stunde" in text and "90,00\xa0€" in text
    assert 'id="lang-en"' in text and "lang=en" in text


def test_the_switcher_wins_over_the_browser_and_is_remembered(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    switched = client.get("/coach/session", params={"lang": "en"}, headers=GERMAN)
    assert "Pick a time" in switched.text
    assert client.cookies.get(COOKIE) == "en"
    # The next page, without ?lang=, keeps English though the browser prefers German.
    later = client.get("/coach", headers=GERMAN)
    assert "Book a time with" in later.text and '<html lang="en">' in later.text
    client.get("/coach", params={"lang": "de"})
    assert "Termin buchen bei" in html.unescape(client.get("/coach").text)


def test_an_unknown_language_falls_back_to_english(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/coach/session", headers={"Accept-Language": "fr-FR,fr"})
    assert '<html lang="en">' in page.text and "Pick a time" in page.text


def test_the_error_page_of_a_lead_speaks_their_language(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/coach/nope", headers=GERMAN)
    assert page.status_code == 404
    text = html.unescape(page.text)
    assert "Diese Buchungsseite gibt es nicht." in text
    assert "Das hat nicht funktioniert" in text


def test_the_hosts_pages_stay_english_for_a_german_browser(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/login", headers=GERMAN)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text


def test_a_booking_held_on_the_german_page_remembers_german(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    client.headers.update(GERMAN)
    form = details_form(client, "session")
    assert "Ihre Angaben" in html.unescape(form.text)
    held = held_from(submit_details(client, "session", form_fields(form.text)))
    review = html.unescape(held.review.text)
    assert "Prüfen und bestätigen" in review and "90,00\xa0€" in review
    with booking_env.services.session_factory() as session:
        booking = session.scalars(select(Booking).where(Booking.id == held.booking_id)).one()
        assert booking.lead_language == "de"


def test_form_problems_are_explained_in_german(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    client.headers.update(GERMAN)
    form = details_form(client, "session")
    answer = submit_details(client, "session", form_fields(form.text, email="not-an-address"))
    text = html.unescape(answer.text)
    assert "Bitte korrigieren Sie Folgendes:" in text
    assert "Bitte prüfen Sie Ihre E-Mail-Adresse" in text
