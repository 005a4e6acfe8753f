"""The sandbox's fixed configuration: the one OAuth client and the consenting account."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxConfig:
    """What the real Google would know from the Cloud console and the user's login.

    The defaults match the application's development settings, so a fresh clone
    talks to the sandbox without configuration.
    """

    client_id: str = "leadscalendar-dev.apps.googleusercontent.com"
    client_secret: str = "dev-google-client-secret"  # noqa: S105 - a known dev placeholder
    redirect_uris: tuple[str, ...] = ("http://127.0.0.1:8000/oauth/google/callback",)
    account_email: str = "host@sandbox.test"
    access_token_lifetime_seconds: int = 3600
