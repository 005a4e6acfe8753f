"""``POST /batch/calendar/v3``: Google's multipart/mixed batch protocol.

Each part is an HTTP request; it is replayed against this very app (through
httpx's ASGI transport), so batched calls get exactly the auth, quota, script
and stats treatment of direct ones. Parts run in order, one after another.
"""

from __future__ import annotations

import email
import email.policy
import secrets
from email.message import Message
from http import HTTPStatus

import httpx
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from leadscalendar.sandbox.google.errors import api_error

router = APIRouter()

# The Calendar API takes at most 50 calls per batch.
MAX_PARTS = 50
# Outer headers apply to every part unless the part sets its own, except these.
_NOT_INHERITED = frozenset({"content-type", "content-length", "content-transfer-encoding", "host"})


def _parse_parts(content_type: str, body: bytes) -> list[Message]:
    envelope = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    message = email.message_from_bytes(envelope, policy=email.policy.compat32)
    if not message.is_multipart():
        raise ValueError("not multipart")
    parts = message.get_payload()
    assert isinstance(parts, list)
    return [part for part in parts if isinstance(part, Message)]


def _inner_request(part: Message) -> tuple[str, str, dict[str, str], bytes]:
    payload = part.get_payload(decode=False)
    if not isinstance(payload, str):
        raise ValueError("part has no HTTP request")
    request_line, _, rest = payload.lstrip("\r\n").partition("\n")
    method, path, *_ = request_line.strip().split(" ")
    inner = email.message_from_string(rest, policy=email.policy.compat32)
    headers = {key.lower(): str(value) for key, value in inner.items()}
    raw_body = inner.get_payload(decode=False)
    body = raw_body.encode() if isinstance(raw_body, str) else b""
    return method.upper(), path, headers, body


def _render_part(content_id: str | None, response: httpx.Response) -> str:
    reason = HTTPStatus(response.status_code).phrase
    lines = ["Content-Type: application/http"]
    if content_id:
        inner_id = content_id.strip().removeprefix("<").removesuffix(">")
        lines.append(f"Content-ID: <response-{inner_id}>")
    lines += ["", f"HTTP/1.1 {response.status_code} {reason}"]
    for key in ("content-type", "www-authenticate", "retry-after"):
        if key in response.headers:
            lines.append(f"{key.title()}: {response.headers[key]}")
    # Always one header line: clients split the inner response at the first blank line.
    lines.append(f"Content-Length: {len(response.content)}")
    lines += ["", response.text]
    return "\r\n".join(lines)


@router.post("/batch/calendar/v3", include_in_schema=False)
@router.post("/batch", include_in_schema=False)
async def batch(request: Request) -> Response:
    content_type = request.headers.get("content-type", "")
    try:
        parts = _parse_parts(content_type, await request.body())
        inner_requests = [(part["Content-ID"], _inner_request(part)) for part in parts]
    except (ValueError, IndexError):
        return api_error(400, "badRequest", "Invalid multipart request.").to_response()
    if len(inner_requests) > MAX_PARTS:
        return api_error(400, "badRequest", "Too many requests in batch.").to_response()
    outer = {
        key.lower(): value
        for key, value in request.headers.items()
        if key.lower() not in _NOT_INHERITED
    }
    boundary = "batch_" + secrets.token_hex(12)
    rendered: list[str] = []
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url=str(request.base_url)) as client:
        for content_id, (method, path, headers, body) in inner_requests:
            merged = outer | {k: v for k, v in headers.items() if k not in ("host",)}
            response = await client.request(method, path, headers=merged, content=body or None)
            rendered.append(_render_part(content_id, response))
    payload = "".join(f"--{boundary}\r\n{part}\r\n" for part in rendered) + f"--{boundary}--\r\n"
    return Response(payload, media_type=f"multipart/mixed; boundary={boundary}")
