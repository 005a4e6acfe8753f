"""Where a lead came from: the booking link's ``utm_*`` and ``ref``, and the referring site.

Stored on the booking as ``bookings.source``, a dict holding only the keys
that were given (``SOURCE_FIELDS``). Everything here is text from a link
anyone can write: bounded, one line, never rendered as HTML, and the
referrer kept as its origin only (``https://example.com``), since a full
referring URL can carry a search query or someone's personal page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from leadscalendar.inputs import SingleLineText

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
SOURCE_FIELDS = (*UTM_FIELDS, "ref", "referrer")
MAX_SOURCE_VALUE = 200
MAX_REFERRER = 255


class LeadSource(BaseModel):
    """The source fields as the public API takes them and the booking stores them."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")

    utm_source: SingleLineText | None = Field(default=None, max_length=MAX_SOURCE_VALUE)
    utm_medium: SingleLineText | None = Field(default=None, max_length=MAX_SOURCE_VALUE)
    utm_campaign: SingleLineText | None = Field(default=None, max_length=MAX_SOURCE_VALUE)
    utm_term: SingleLineText | None = Field(default=None, max_length=MAX_SOURCE_VALUE)
    utm_content: SingleLineText | None = Field(default=None, max_length=MAX_SOURCE_VALUE)
    ref: SingleLineText | None = Field(default=None, max_length=MAX_SOURCE_VALUE)
    referrer: SingleLineText | None = Field(
        default=None,
        max_length=MAX_REFERRER,
        description="The referring site; only its origin (scheme and host) is kept.",
    )

    @field_validator("referrer")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if not value:
            return None
        origin = referrer_origin(value)
        if origin is None:
            raise ValueError("the referrer must be an http or https address")
        return origin

    def stored(self) -> dict[str, str]:
        """The booking's ``source``: only the fields that have a value."""
        return {name: value for name, value in self.model_dump().items() if value}


def referrer_origin(url: str) -> str | None:
    """``https://Example.com:8443/a?q=x`` -> ``https://example.com:8443``; None if not web."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    origin = f"{parts.scheme.lower()}://{parts.hostname.lower()}"
    return f"{origin}:{port}" if port else origin


def lenient(values: Mapping[str, Any]) -> LeadSource:
    """The source from a link or a form: each bad or oversized value is dropped, not refused.

    A lead who followed a mangled ad link still gets the booking page; only
    the values that pass ``LeadSource``'s rules are kept.
    """
    kept: dict[str, str] = {}
    for name in SOURCE_FIELDS:
        value = values.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            LeadSource.model_validate({name: value})
        except ValidationError:
            continue
        kept[name] = value
    return LeadSource.model_validate(kept)


def from_link(params: Mapping[str, str], referer_header: str | None, own_origin: str) -> LeadSource:
    """The source of a landing on a host or type page.

    The link's own ``referrer`` (carried from an earlier page) wins; otherwise
    the browser's ``Referer``, unless it is one of our own pages.
    """
    values = dict(params)
    if not values.get("referrer") and referer_header:
        origin = referrer_origin(referer_header)
        if origin and origin != referrer_origin(own_origin):
            values["referrer"] = origin
    return lenient(values)


def carried(source: LeadSource | Mapping[str, Any] | None) -> dict[str, str]:
    """The query parameters that carry the source to the next page (empty ones left out)."""
    if source is None:
        return {}
    values = source.stored() if isinstance(source, LeadSource) else source
    return {name: str(values[name]) for name in SOURCE_FIELDS if values.get(name)}


def format_source(source: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """``[(field name, value), ...]`` in ``SOURCE_FIELDS`` order: for pages and exports."""
    return [(name, value) for name, value in carried(source).items()]
