"""The host's public page and the framable embeds, over real HTTP."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import update

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.models import BookingType
from leadscalendar.db.session import unit_of_work
from tests.support.booking_env import BookingEnv
from tests.support.dashboard import host_by_slug

TYPE_LINK = re.compile(r'<a class="type-link" href="([^"]+)">([^<]+)</a>')


def frame_ancestors(response: httpx.Response) -> str:
    found = re.search(r"frame-ancestors ([^;]+)", response.headers["content-security-policy"])
    assert found, response.headers["content-security-policy"]
    return found.group(1)


def test_host_page_lists_the_active_booking_types_with_links(booking_env: BookingEnv) -> None:
    host = host_by_slug(booking_env.services)
    with unit_of_work(booking_env.services.session_factory) as session:
        session.execute(
            update(BookingType)
            .where(BookingType.host_id == host.id, BookingType.slug == "intro")
            .values(active=False)
        )
    page = booking_env.lead.get("/coach")
    assert page.status_code == 200
    assert "Coach" in page.text
    assert TYPE_LINK.findall(page.text) == [("/coach/session", "Coaching session")]
    assert "1 hour" in page.text and "90.00 EUR" in page.text
    # The link it gives is the booking page itself.
    assert booking_env.lead.get("/coach/session").status_code == 200


def test_unknown_host_page_is_a_404_for_people(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/nobody-here")
    assert page.status_code == 404
    assert "There is no booking page at this address" in page.text
    assert "dashboard" not in page.text.split("<main>")[1]


def test_an_unconfirmed_hosts_page_is_not_published(booking_env: BookingEnv) -> None:
    host = host_by_slug(booking_env.services)
    with unit_of_work(booking_env.services.session_factory) as session:
        session.execute(update(Host).where(Host.id == host.id).values(email_verified_at=None))
    assert booking_env.lead.get("/coach").status_code == 404
    assert booking_env.lead.get("/embed/coach").status_code == 404


def test_the_host_page_never_shadows_the_apps_own_paths(booking_env: BookingEnv) -> None:
    client = httpx.Client(base_url=booking_env.url, timeout=10)
    with client:
        assert client.get("/logout").status_code == 405
        assert "Log in" in client.get("/login").text
        for reserved in ("/signup", "/embed", "/docs"):
            response = client.get(reserved)
            assert "booking page at this address" not in response.text, reserved


def test_embeds_may_be_framed_but_nothing_else(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    for path in ("/embed/coach", "/embed/coach/session"):
        embed = client.get(path)
        assert embed.status_code == 200, path
        assert frame_ancestors(embed) == "*"
        assert "x-frame-options" not in embed.headers
        assert '<base target="_top">' in embed.text
        assert "/static/embed-frame.js" in embed.text
    # The slots of a framed page lead to the details page, which stays unframable.
    slot = re.search(r'<a class="slot" href="([^"]+)"', client.get("/embed/coach/session").text)
    assert slot is not None and slot.group(1).startswith("/coach/session/book?")
    for path in ("/coach", "/coach/session", "/login", "/dashboard"):
        page = client.get(path)
        assert frame_ancestors(page) == "'none'", path
        assert page.headers["x-frame-options"] == "DENY", path
    assert '<base target="_top">' not in client.get("/coach/session").text


def test_an_unknown_embed_is_a_404(booking_env: BookingEnv) -> None:
    assert booking_env.lead.get("/embed/coach/nope").status_code == 404
    assert booking_env.lead.get("/embed/nobody").status_code == 404


def test_the_embed_scripts_are_served_from_our_origin(booking_env: BookingEnv) -> None:
    for name in ("embed.js", "embed-frame.js"):
        script = booking_env.lead.get(f"/static/{name}")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
    # The parent page listens to our origin only.
    assert "event.origin !== origin" in booking_env.lead.get("/static/embed.js").text
