"""Validation problems in sentences for the person who typed the input.

pydantic's own messages ("String should have at least 1 character") are
written for programmers; a lead reading one on the booking form cannot tell
what to fix. Each problem is mapped here, by pydantic's stable error *type*
(not its wording, which changes between versions), to a sentence naming the
field as the person knows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from leadscalendar.i18n import N_, gettext

# What people call the fields of the lead's forms and links.
FIELD_LABELS: Mapping[str, str] = {
    "name": N_("your name"),
    "email": N_("your e-mail address"),
    "password": N_("your password"),
    "notes": N_("your notes"),
    "guests": N_("the guests"),
    "time_zone": N_("the time zone"),
    "tz": N_("the time zone"),
    "start": N_("the date"),
    "token": N_("the booking link"),
    "page": N_("the page number"),
    "days": N_("the number of days"),
    "reason": N_("the reason"),
}
BROKEN_LINK = N_(
    "This booking link is incomplete. Please open it again from your e-mail "
    "or from the page that gave it to you."
)
# Types whose message we wrote ourselves (``ValueError`` in a validator): already for people.
_OUR_WORDS = frozenset({"value_error", "assertion_error"})
_SHORT = frozenset({"string_too_short", "missing", "too_short"})
_LONG = frozenset({"string_too_long", "too_long"})
_DATES = frozenset({"date_parsing", "date_from_datetime_parsing", "datetime_parsing"})
_DATES |= frozenset({"datetime_from_date_parsing", "date_type", "datetime_type"})


def field_of(location: Sequence[Any]) -> str:
    """The form field a problem belongs to (guest addresses all belong to ``guests``)."""
    parts = [str(part) for part in location if not isinstance(part, int)]
    # Request validation puts "body", "query", "form" or "path" first.
    if parts and parts[0] in {"body", "query", "form", "path", "header", "cookie"}:
        parts = parts[1:]
    if "guests" in parts:
        return "guests"
    return parts[-1] if parts else "form"


def label(field: str) -> str:
    if field in FIELD_LABELS:
        return gettext(FIELD_LABELS[field])
    return gettext("this field") if field == "form" else field.replace("_", " ")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def sentence(problem: Mapping[str, Any]) -> str:
    """One pydantic problem as a sentence for people."""
    kind = str(problem.get("type", ""))
    field = field_of(problem.get("loc", ()))
    what = label(field)
    context = problem.get("ctx") or {}
    if field == "token":
        return gettext(BROKEN_LINK)
    if kind in _OUR_WORDS:
        message = str(problem.get("msg", "")).removeprefix("Value error, ")
        if field == "email" or "email" in message.lower():
            return gettext(
                "Please check your e-mail address; it should look like name@example.com."
            )
        return f"{_capitalised(what)} {message}." if message.startswith("must") else message
    if kind in _SHORT:
        return gettext("Please fill in {what}.").format(what=what)
    if kind in _LONG:
        limit = context.get("max_length")
        if limit is None:
            return _capitalised(
                gettext("{what}: that is too much; please shorten it.").format(what=what)
            )
        if kind == "too_long":
            text = gettext("{what} can have at most {limit} entries.")
            return _capitalised(text.format(what=what, limit=limit))
        text = gettext("{what} can be at most {limit} characters long.")
        return _capitalised(text.format(what=what, limit=limit))
    if kind in _DATES:
        text = gettext("{what} is not a date we understand; please pick it again.")
        return _capitalised(text.format(what=what))
    return _capitalised(gettext("{what} is not valid; please check it.").format(what=what))


def field_sentences(problems: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The first problem of each field, in words: what a form shows beside its fields."""
    messages: dict[str, str] = {}
    for problem in problems:
        messages.setdefault(field_of(problem.get("loc", ())), sentence(problem))
    return messages


def summary(problems: Iterable[Mapping[str, Any]]) -> str:
    """Every field's problem, in one paragraph: for an error page with no form to point at."""
    return " ".join(dict.fromkeys(field_sentences(problems).values()))
