"""Which language a lead's page is in, as a pure ASGI middleware.

The switcher's ``?lang=de|en`` wins and is remembered in a cookie; else that
cookie; else the browser's ``Accept-Language``; else English. The host's
pages (dashboard, sign-up, host API) stay English whatever the browser says.
A pure ASGI middleware, not ``BaseHTTPMiddleware``: the language is a context
variable set before the app runs, so the route, its threads and its template
all see it, and it is reset when the response is done.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadscalendar import i18n

COOKIE = "leadscalendar_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# The host's side of the product: English only (the dashboard is not translated).
HOST_PREFIXES = (
    "/dashboard",
    "/login",
    "/logout",
    "/signup",
    "/forgot-password",
    "/reset-password",
    "/verify-email",
    "/email",
    "/delete",
    "/oauth",
    "/webhooks",
    "/healthz",
    "/api",
    "/static",
)


def is_lead_path(path: str) -> bool:
    """Whether ``path`` is a lead's page (or the public booking API the lead's script calls)."""
    if path.startswith("/api/v1/public/"):
        return True
    return not any(path == prefix or path.startswith(f"{prefix}/") for prefix in HOST_PREFIXES)


class LanguageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_lead_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        requested = i18n.supported((query.get("lang") or [None])[0])
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header only loses the remembered language
            cookie = SimpleCookie()
        remembered = cookie[COOKIE].value if COOKIE in cookie else None
        language = i18n.choose(requested, remembered, headers.get("accept-language"))
        scope.setdefault("state", {})["language"] = language

        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start" and requested:
                MutableHeaders(scope=message).append(
                    "set-cookie",
                    f"{COOKIE}={requested}; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax",
                )
            await send(message)

        token = i18n.activate(language)
        try:
            await self.app(scope, receive, remember)
        finally:
            i18n.deactivate(token)
