"""What a host copies to share their booking pages: links and the embed snippets.

Built from ``public_url`` so a copied link works from anywhere; the snippets
load ``embed.js`` from the same origin, which frames only ``/embed/`` pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Share:
    """One page to share: its link, an inline widget and a popup button."""

    page_url: str
    inline_snippet: str
    popup_snippet: str


def share(public_url: str, path: str, button_text: str) -> Share:
    """``path`` is the page's own path, e.g. ``/coach`` or ``/coach/intro``."""
    base = public_url.rstrip("/")
    embed_url = escape(f"{base}/embed{path}")
    script = f'<script src="{escape(base)}/static/embed.js" async></script>'
    return Share(
        page_url=f"{base}{path}",
        inline_snippet=f'<div data-leadscalendar-inline="{embed_url}"></div>\n{script}',
        popup_snippet=(
            f'<button type="button" data-leadscalendar-popup="{embed_url}">'
            f"{escape(button_text)}</button>\n{script}"
        ),
    )
