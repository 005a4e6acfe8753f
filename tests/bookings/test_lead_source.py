"""The lead source: bounded one-line values, the referrer as an origin, lenient on links."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leadscalendar.bookings.lead_source import (
    LeadSource,
    carried,
    format_source,
    from_link,
    lenient,
    referrer_origin,
)

OURS = "http://127.0.0.1:8000/"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://News.Example.com/article?id=1&user=ann", "https://news.example.com"),
        ("http://example.com:8080/x", "http://example.com:8080"),
        ("javascript:alert(1)", None),
        ("android-app://com.google.android.gm/", None),
        ("https://", None),
        ("http://[::1", None),
    ],
)
def test_only_a_web_origin_is_kept_of_a_referrer(url: str, origin: str | None) -> None:
    assert referrer_origin(url) == origin


@pytest.mark.parametrize(
    "values",
    [
        {"utm_source": "news\x00letter"},
        {"utm_campaign": "spring\r\nsale"},
        {"ref": "x" * 201},
        {"referrer": "ftp://example.com"},
        {"utm_sourse": "typo"},
    ],
)
def test_the_api_refuses_control_characters_oversized_and_unknown_fields(
    values: dict[str, str],
) -> None:
    with pytest.raises(ValidationError):
        LeadSource.model_validate(values)


def test_a_link_keeps_what_is_valid_and_drops_the_rest() -> None:
    source = lenient(
        {
            "utm_source": "newsletter",
            "utm_medium": "e\x07mail",
            "utm_campaign": "x" * 500,
            "ref": "partner-42",
            "tz": "Europe/Paris",
        }
    )
    assert source.stored() == {"utm_source": "newsletter", "ref": "partner-42"}


def test_the_referer_header_counts_unless_it_is_our_own_page() -> None:
    external = from_link({"utm_source": "ads"}, "https://blog.example.org/post/7", OURS)
    assert external.stored() == {"utm_source": "ads", "referrer": "https://blog.example.org"}
    ours = from_link({}, "http://127.0.0.1:8000/coach", OURS)
    assert ours.stored() == {}
    # A referrer carried from the first page wins over the header of the second.
    carried_on = from_link({"referrer": "https://a.example"}, "https://b.example/", OURS)
    assert carried_on.referrer == "https://a.example"


def test_carried_and_formatted_in_field_order() -> None:
    source = {"ref": "p1", "utm_source": "news", "referrer": "https://x.example", "junk": "?"}
    assert list(carried(source)) == ["utm_source", "ref", "referrer"]
    assert format_source(source)[0] == ("utm_source", "news")
    assert carried(None) == {} and format_source({}) == []
