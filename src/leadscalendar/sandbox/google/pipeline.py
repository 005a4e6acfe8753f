"""What every Calendar API call goes through, in Google's order.

latency -> scripted answer -> random fault -> bearer token (401) -> quotas
(403 per user, 429 per project) -> scopes (403) -> the method itself; the
outcome is counted in the stats whatever it was.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from leadscalendar.sandbox.google import errors
from leadscalendar.sandbox.google.chaos import ScriptedResponse
from leadscalendar.sandbox.google.errors import ApiError, error_reason, json_response
from leadscalendar.sandbox.google.scopes import allows
from leadscalendar.sandbox.google.state import SandboxState, get_state
from leadscalendar.sandbox.google.tokens import TokenView
from leadscalendar.sandbox.google.userinfo import bearer_token


@dataclass(frozen=True)
class CallContext:
    request: Request
    state: SandboxState
    token: TokenView

    @property
    def account(self) -> str:
        return self.token.account_email.lower()

    async def json_body(self) -> Any:
        raw = await self.request.body()
        try:
            return json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise errors.api_error(400, "parseError", "Parse Error") from None


Result = dict[str, Any] | None
Handler = Callable[[CallContext], Awaitable[Result]]


async def run_call(request: Request, method: str, handler: Handler) -> Response:
    """Serve one API method call, with every sandbox behaviour applied."""
    state = get_state(request)
    latency = state.chaos.latency_seconds
    if latency > 0:
        # Sleeping (not blocking) lets concurrent calls overlap as they would at Google.
        await asyncio.sleep(latency)
    response, reason = await _dispatch(request, state, method, handler)
    state.stats.record(method, response.status_code, reason)
    return response


async def _dispatch(
    request: Request, state: SandboxState, method: str, handler: Handler
) -> tuple[Response, str | None]:
    script = state.chaos.next_script(method)
    if script is not None and not script.after_apply:
        return _scripted(script)
    fault = state.chaos.roll_fault(method)
    if fault is not None:
        error = errors.fault(fault)
        return error.to_response(), error.reason
    try:
        token = _authenticate(request, state)
        exceeded = state.quotas.admit(token.account_email.lower())
        if exceeded == "user":
            raise errors.user_rate_limited()
        if exceeded == "project":
            raise errors.project_rate_limited()
        if not allows(method, token.scopes):
            raise errors.insufficient_scopes()
        result = await handler(CallContext(request, state, token))
    except ApiError as error:
        if script is not None:
            return _scripted(script)
        return error.to_response(), error.reason
    if script is not None:
        # Applied for real, but the client is told something else: "Google stored
        # the event and the answer was lost".
        return _scripted(script)
    if result is None:
        return Response(status_code=204), None
    return json_response(result), None


def _authenticate(request: Request, state: SandboxState) -> TokenView:
    token = bearer_token(request) or request.query_params.get("access_token")
    if not token:
        raise errors.login_required()
    view = state.grants.lookup_access(token)
    if view is None:
        raise errors.unauthenticated()
    state.calendars.ensure_account(view.account_email)
    return view


def _scripted(script: ScriptedResponse) -> tuple[Response, str | None]:
    body = script.body
    if body is None and script.status >= 400:
        body = errors.fault(script.status).body
    if script.status == 204 or body is None:
        return Response(status_code=script.status, headers=script.headers), None
    reason = error_reason(body) if isinstance(body, dict) and script.status >= 400 else None
    return json_response(body, script.status, script.headers), reason
