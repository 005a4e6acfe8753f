"""Drive the lead's HTML booking pages over real HTTP, as a browser without JavaScript would."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.app_env import csrf_from

SLOT_LINK = re.compile(r'<a class="slot" href="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
LEAD_FORM = {
    "name": "Lena Lead",
    "email": "lena@example.com",
    "notes": "Looking forward; bring notes, please",
    "guests": "guest@example.com",
}


@dataclass(frozen=True)
class Held:
    """A booking held through the pages: where the review page is and what it said."""

    booking_id: uuid.UUID
    token: str
    review: httpx.Response


def slot_links(page: str) -> list[str]:
    return [html.unescape(href) for href in SLOT_LINK.findall(page)]


def hidden_fields(form_html: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(form_html)}


def details_form(client: httpx.Client, type_slug: str, tz: str = "Europe/Paris") -> httpx.Response:
    """Open the booking page and follow its first slot link to the details form."""
    page = client.get(f"/coach/{type_slug}", params={"tz": tz})
    assert page.status_code == 200, page.text
    links = slot_links(page.text)
    assert links, "the booking page offers no slot"
    form = client.get(links[0])
    assert form.status_code == 200, form.text
    return form


def form_fields(form_page: str, **overrides: str) -> dict[str, str]:
    fields = hidden_fields(form_page)
    fields.update(LEAD_FORM)
    fields.update(overrides)
    return fields


def submit_details(client: httpx.Client, type_slug: str, fields: dict[str, str]) -> httpx.Response:
    return client.post(f"/coach/{type_slug}/book", data=fields)


def held_from(response: httpx.Response) -> Held:
    """The booking a details POST led to (the client followed the redirect to its review)."""
    assert response.status_code == 200, response.text
    url = urlsplit(str(response.url))
    assert url.path.endswith("/review"), url
    booking_id = uuid.UUID(url.path.split("/")[2])
    token = parse_qs(url.query)["token"][0]
    return Held(booking_id, token, response)


def hold_through_pages(client: httpx.Client, type_slug: str) -> Held:
    form = details_form(client, type_slug)
    return held_from(submit_details(client, type_slug, form_fields(form.text)))


def confirm(client: httpx.Client, held: Held, *, follow_redirects: bool = True) -> httpx.Response:
    return client.post(
        f"/bookings/{held.booking_id}/confirm",
        data={"csrf_token": csrf_from(held.review.text), "token": held.token},
        follow_redirects=follow_redirects,
    )


def start_of(form_page: str) -> datetime:
    return datetime.fromisoformat(hidden_fields(form_page)["start"])
