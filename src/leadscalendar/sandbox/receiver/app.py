"""The receiver's HTTP side: POST a delivery anywhere under /hooks, read them at /."""

from __future__ import annotations

import html
import json

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from leadscalendar.sandbox.receiver.store import Received, ReceiverStore

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="5"><title>Webhook receiver</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}
table{{border-collapse:collapse;width:100%}}
td,th{{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top}}
.ok{{color:#0a7d32}}.bad{{color:#b42318}}pre{{white-space:pre-wrap;margin:0;font-size:.85em}}
</style></head><body>{body}</body></html>"""


def _verdict(received: Received) -> str:
    if received.verified is None:
        return "not checked (no secret)"
    if received.verified:
        return '<span class="ok">signature verified</span>'
    return f'<span class="bad">signature NOT verified: {html.escape(received.problem)}</span>'


def _row(received: Received) -> str:
    try:
        event = received.json()
        event_type = str(event.get("type", "?"))
        booking = str(event.get("data", {}).get("id", ""))
        pretty = json.dumps(event, indent=2)
    except (ValueError, AttributeError):
        event_type, booking, pretty = "?", "", received.body
    return (
        f"<tr><td>{received.number}</td><td>{received.received_at:%H:%M:%S}</td>"
        f"<td>{html.escape(event_type)}</td><td>{html.escape(booking)}</td>"
        f"<td>{_verdict(received)}</td><td>{received.answered}</td>"
        f"<td><details><summary>{html.escape(received.message_id)}</summary>"
        f"<pre>{html.escape(pretty)}</pre></details></td></tr>"
    )


def create_receiver_app(store: ReceiverStore) -> FastAPI:
    app = FastAPI(title="LeadsCalendar webhook receiver", docs_url=None, redoc_url=None)

    @app.post("/hooks/{name:path}")
    async def receive(name: str, request: Request) -> Response:
        body = (await request.body()).decode("utf-8", errors="replace")
        headers = {key.lower(): value for key, value in request.headers.items()}
        _, answer = store.take(f"/hooks/{name}", headers, body)
        return Response(answer.body, status_code=answer.status, headers=answer.headers)

    @app.get("/")
    def index() -> HTMLResponse:
        received = list(reversed(store.all()))
        rows = "".join(_row(item) for item in received) or (
            '<tr><td colspan="7">Nothing received yet: book something.</td></tr>'
        )
        return HTMLResponse(
            PAGE.format(
                body="<h1>Webhook receiver</h1><p>Every delivery LeadsCalendar sent here, "
                "newest first, checked with the Standard Webhooks library.</p>"
                "<table><tr><th>#</th><th>Time</th><th>Event</th><th>Booking</th>"
                f"<th>Signature</th><th>Answered</th><th>Payload</th></tr>{rows}</table>"
            )
        )

    @app.get("/received")
    def received() -> JSONResponse:
        return JSONResponse(
            [
                {
                    "number": item.number,
                    "message_id": item.message_id,
                    "verified": item.verified,
                    "answered": item.answered,
                    "body": item.body,
                }
                for item in store.all()
            ]
        )

    return app
