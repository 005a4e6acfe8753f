"""Security headers on every response, as a pure ASGI middleware.

Content-Security-Policy allows scripts from our own origin and inline scripts
that carry this response's nonce, nothing else. A template that needs a few
lines of inline JavaScript writes::

    <script nonce="{{ request.state.csp_nonce }}">...</script>

(a nonce rather than moving every snippet to /static: the time-zone detection
on the booking page is three lines, and a nonce keeps it next to the form it
fills). Inline ``style=`` attributes and ``on*=`` handlers stay forbidden.

Framing is refused everywhere (``frame-ancestors 'none'``, ``X-Frame-Options:
DENY``) except under ``/embed/``: the host page and booking pages made to be
framed by the host's own site. Those pages only list slots; picking one opens
the details, review and payment pages in the top window (``<base
target="_top">``), which stay unframable, so a framing site can never overlay
the Confirm or Pay buttons (clickjacking), and Stripe Checkout, which refuses
to be framed, is always reached at the top.

``form-action`` lists Google's consent page and the checkout origin besides
our own: Chromium checks ``form-action`` on every redirect that follows a form
submission, so "Connect Google Calendar" (POST, then 303 to Google) and "Pay"
(POST, then 303 to Checkout) would be blocked by ``'self'`` alone.

The 500 page is rendered by Starlette's outermost middleware, outside this
one, so the error handler calls ``apply_security_headers`` itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadscalendar.config import Settings

NONCE_STATE_KEY = "csp_nonce"
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
# The OAuth callback's URL carries the authorization code: no Referer at all from there.
NO_REFERRER_PREFIXES = ("/oauth/",)
# Static files may be cached; everything else is per-user or changes by the minute.
CACHEABLE_PREFIXES = ("/static/",)
# The only pages another site may frame.
EMBED_PREFIX = "/embed/"
# Query parameters that make a URL a credential (booking links, OAuth callbacks).
SECRET_QUERY_KEYS = ("token=", "code=")


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class SecurityPolicy:
    """Which headers go on which response; built once from the settings."""

    form_action_origins: tuple[str, ...]
    hsts: bool
    # Who may frame the embeds; empty: any site.
    embed_ancestors: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> SecurityPolicy:
        checkout = (
            STRIPE_CHECKOUT_ORIGIN
            if settings.payment_provider == "stripe"
            else _origin(settings.payments_sandbox_url)
        )
        origins = [_origin(settings.google_auth_uri), checkout]
        return cls(
            form_action_origins=tuple(dict.fromkeys(o for o in origins if o)),
            hsts=settings.public_url.startswith("https://"),
            embed_ancestors=tuple(o for o in map(_origin, settings.embed_allowed_origins) if o),
        )

    def content_security_policy(self, nonce: str, *, embed: bool = False) -> str:
        form_action = " ".join(("'self'", *self.form_action_origins))
        ancestors = (" ".join(self.embed_ancestors) or "*") if embed else "'none'"
        return "; ".join(
            (
                "default-src 'self'",
                f"script-src 'self' 'nonce-{nonce}'",
                "style-src 'self'",
                "img-src 'self' data:",
                "object-src 'none'",
                "base-uri 'none'",
                f"form-action {form_action}",
                f"frame-ancestors {ancestors}",
            )
        )

    def headers(self, path: str, query: str, nonce: str) -> list[tuple[str, str]]:
        """The headers for one response; a route's own value for a header wins."""
        embed = path.startswith(EMBED_PREFIX)
        headers = [
            ("Content-Security-Policy", self.content_security_policy(nonce, embed=embed)),
            ("X-Content-Type-Options", "nosniff"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Permissions-Policy", PERMISSIONS_POLICY),
            (
                "Referrer-Policy",
                "no-referrer"
                if path.startswith(NO_REFERRER_PREFIXES)
                else "strict-origin-when-cross-origin",
            ),
        ]
        if not embed:
            # frame-ancestors has the last word; this is for browsers without CSP 2.
            headers.append(("X-Frame-Options", "DENY"))
        if self.hsts:
            headers.append(
                ("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains")
            )
        secret_url = any(key in query for key in SECRET_QUERY_KEYS)
        if secret_url or not path.startswith(CACHEABLE_PREFIXES):
            headers.append(("Cache-Control", "no-store"))
        return headers

    def apply(self, headers: MutableHeaders, path: str, query: str, nonce: str) -> None:
        for name, value in self.headers(path, query, nonce):
            if name not in headers:
                headers[name] = value


def _query(scope: Scope) -> str:
    raw = scope.get("query_string", b"")
    return raw.decode("latin-1") if isinstance(raw, bytes) else ""


class SecurityHeadersMiddleware:
    """Adds the policy's headers to every HTTP response and a CSP nonce to the request."""

    def __init__(self, app: ASGIApp, policy: SecurityPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})[NONCE_STATE_KEY] = nonce
        path, query = scope["path"], _query(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.policy.apply(MutableHeaders(scope=message), path, query, nonce)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def apply_security_headers(request: Request, response: Response) -> None:
    """For responses sent outside the middleware (the 500 page)."""
    policy = getattr(request.app.state, "security_policy", None)
    if not isinstance(policy, SecurityPolicy):
        return
    nonce = getattr(request.state, NONCE_STATE_KEY, None) or secrets.token_urlsafe(16)
    policy.apply(response.headers, request.url.path, request.url.query, nonce)
