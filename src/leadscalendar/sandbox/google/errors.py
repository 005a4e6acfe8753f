"""Google-shaped error bodies, byte for byte where Google documents them.

Clients branch on ``error.errors[0].reason`` and on the OAuth ``error`` code, so
the sandbox must produce exactly the shapes Google does or the application's
error handling is tested against fiction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse, Response

JSON_MEDIA_TYPE = "application/json; charset=UTF-8"
AUTH_CHALLENGE = 'Bearer realm="https://accounts.google.com/"'
UNAUTHENTICATED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """A Calendar API failure, raised anywhere in a handler and rendered by the pipeline."""

    def __init__(
        self,
        status: int,
        body: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})

    @property
    def reason(self) -> str:
        """The first error's reason: what clients branch on, and what the stats count."""
        return error_reason(self.body)

    def to_response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


def json_response(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """JSON the way Google sends it (charset in the media type)."""
    return Response(
        json.dumps(body, indent=2),
        status_code=status,
        headers=dict(headers or {}),
        media_type=JSON_MEDIA_TYPE,
    )


def error_reason(body: Mapping[str, Any]) -> str:
    error = body.get("error")
    if isinstance(error, Mapping):
        errors = error.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
            return str(errors[0].get("reason", ""))
        return str(error.get("status", ""))
    return str(error or "")


def api_error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    location: str | None = None,
    location_type: str | None = None,
    with_status: bool = False,
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    """Google's classic ``{"error": {"errors": [...], "code", "message"}}`` body."""
    item: dict[str, str] = {"domain": domain, "reason": reason, "message": message}
    if location is not None:
        item["location"] = location
        item["locationType"] = location_type or "parameter"
    error: dict[str, Any] = {"errors": [item], "code": status, "message": message}
    if with_status and status in STATUS_NAMES:
        error["status"] = STATUS_NAMES[status]
    return ApiError(status, {"error": error}, headers)


def unauthenticated() -> ApiError:
    """Missing, expired or revoked bearer token: the exact body and challenge Google sends."""
    body = {
        "error": {
            "code": 401,
            "message": UNAUTHENTICATED_MESSAGE,
            "errors": [
                {
                    "message": "Invalid Credentials",
                    "domain": "global",
                    "reason": "authError",
                    "location": "Authorization",
                    "locationType": "header",
                }
            ],
            "status": "UNAUTHENTICATED",
        }
    }
    return ApiError(401, body, {"WWW-Authenticate": AUTH_CHALLENGE})


def login_required() -> ApiError:
    """No credentials at all: Google words this differently from a bad token."""
    body = {
        "error": {
            "code": 401,
            "message": UNAUTHENTICATED_MESSAGE.replace(
                "Request had invalid authentication credentials.",
                "Request is missing required authentication credential.",
            ),
            "errors": [
                {
                    "message": "Login Required.",
                    "domain": "global",
                    "reason": "required",
                    "location": "Authorization",
                    "locationType": "header",
                }
            ],
            "status": "UNAUTHENTICATED",
        }
    }
    return ApiError(401, body, {"WWW-Authenticate": AUTH_CHALLENGE})


def insufficient_scopes() -> ApiError:
    body = {
        "error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "errors": [
                {
                    "message": "Insufficient Permission",
                    "domain": "global",
                    "reason": "insufficientPermissions",
                }
            ],
            "status": "PERMISSION_DENIED",
        }
    }
    challenge = f'{AUTH_CHALLENGE}, error="insufficient_scope"'
    return ApiError(403, body, {"WWW-Authenticate": challenge})


def not_found() -> ApiError:
    return api_error(404, "notFound", "Not Found")


def deleted() -> ApiError:
    return api_error(410, "deleted", "Resource has been deleted")


def duplicate() -> ApiError:
    return api_error(409, "duplicate", "The requested identifier already exists.")


def required_access_level() -> ApiError:
    return api_error(403, "requiredAccessLevel", "You need to have writer access to this calendar.")


def user_rate_limited() -> ApiError:
    """Per-user quota: 403 with a reason that means "back off", not "forbidden"."""
    return api_error(403, "userRateLimitExceeded", "User Rate Limit Exceeded", domain="usageLimits")


def project_rate_limited() -> ApiError:
    return api_error(429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits")


def bad_request(message: str, reason: str = "invalid", location: str | None = None) -> ApiError:
    return api_error(400, reason, message, location=location)


def required(message: str) -> ApiError:
    return api_error(400, "required", message)


def fault(status: int) -> ApiError:
    """A transient failure as Google's front end produces it for the given status."""
    if status == 429:
        return project_rate_limited()
    if status == 403:
        return api_error(403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits")
    if status == 503:
        return api_error(503, "backendError", "The service is currently unavailable.")
    if status >= 500:
        return api_error(status, "backendError", "Backend Error")
    return api_error(status, "badRequest", "Bad Request")


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """The token and revoke endpoints' flat ``{"error", "error_description"}`` body."""
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"},
    )
