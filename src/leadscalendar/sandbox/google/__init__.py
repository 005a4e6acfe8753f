"""A local stand-in for Google's OAuth 2.0 server and Calendar API v3.

Point the application's Google endpoint settings at it:

- authorization: ``{base}o/oauth2/v2/auth``; token: ``{base}token``;
  revoke: ``{base}revoke``; userinfo: ``{base}oauth2/v3/userinfo``
- Calendar: ``build("calendar", "v3", client_options={"api_endpoint":
  f"{base}calendar/v3/"})`` (the client appends method paths to the endpoint
  as given, so the service path must be part of it, as with real Google);
  batch: ``BatchHttpRequest(batch_uri=f"{base}batch/calendar/v3")``.
"""

from __future__ import annotations

from leadscalendar.sandbox.google.app import create_sandbox_app
from leadscalendar.sandbox.google.config import SandboxConfig
from leadscalendar.sandbox.google.server import run_sandbox, running_sandbox

__all__ = ["SandboxConfig", "create_sandbox_app", "run_sandbox", "running_sandbox"]
