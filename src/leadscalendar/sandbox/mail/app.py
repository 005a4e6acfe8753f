"""The mailbox page: every caught mail, opened as HTML or text, with its attachments.

A mail's HTML is served on its own URL and shown in a sandboxed frame with a
policy that forbids scripts and remote loads, as a careful mail client would.
"""

from __future__ import annotations

import html
import re

import uvicorn
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, Response

from leadscalendar.sandbox.mail.store import CaughtMail, Mailbox, MailSink

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}
table{{border-collapse:collapse;width:100%}}
td,th{{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:1em}}
iframe{{width:100%;height:36em;border:1px solid #ccc}}</style></head><body>{body}</body></html>"""
HREF = re.compile(r'href="(https?://[^"]+)"')
MAIL_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body))


def _row(mail: CaughtMail) -> str:
    return (
        f"<tr><td>{mail.received_at:%H:%M:%S}</td><td>{html.escape(mail.to)}</td>"
        f'<td><a href="/mail/{mail.id}">{html.escape(mail.subject) or "(no subject)"}</a></td>'
        f"<td>{len(mail.attachments())}</td></tr>"
    )


def create_mailbox_app(mailbox: Mailbox) -> FastAPI:
    app = FastAPI(title="LeadsCalendar mail sandbox", docs_url=None, redoc_url=None)

    def find(mail_id: int) -> CaughtMail:
        mail = mailbox.get(mail_id)
        if mail is None:
            raise HTTPException(404, "No such mail.")
        return mail

    @app.get("/")
    def index() -> HTMLResponse:
        mails = list(reversed(mailbox.all()))
        rows = "".join(_row(mail) for mail in mails) or '<tr><td colspan="4">No mail yet.</td></tr>'
        return _page(
            "Mailbox",
            "<h1>Mailbox</h1><p>Every mail the application sent; none left this machine.</p>"
            f"<table><tr><th>Time</th><th>To</th><th>Subject</th><th>Attachments</th></tr>{rows}</table>",
        )

    @app.get("/mail/{mail_id}")
    def show(mail_id: int) -> HTMLResponse:
        mail = find(mail_id)
        files = "".join(
            f'<li><a href="/mail/{mail.id}/attachments/{n}">{html.escape(a.filename)}</a> '
            f"({html.escape(a.content_type)})</li>"
            for n, a in enumerate(mail.attachments())
        )
        # The frame below may not navigate; its links are listed here to follow them.
        links = "".join(
            f'<li><a href="{html.escape(link)}">{html.escape(link)}</a></li>'
            for link in dict.fromkeys(HREF.findall(html.unescape(mail.body("html"))))
        )
        headers = "".join(
            f"<tr><th>{name}</th><td>{html.escape(str(mail.message[name] or ''))}</td></tr>"
            for name in ("From", "Reply-To", "To", "Subject", "Date", "Message-ID")
        )
        return _page(
            mail.subject,
            f'<p><a href="/">All mail</a></p><table>{headers}</table>'
            f'<h2>HTML</h2><iframe sandbox src="/mail/{mail.id}/html" title="HTML"></iframe>'
            f'<h2>Links in this mail</h2><ul id="links">{links or "<li>none</li>"}</ul>'
            f"<h2>Text</h2><pre>{html.escape(mail.body('plain'))}</pre>"
            f'<h2>Attachments</h2><ul id="attachments">{files or "<li>none</li>"}</ul>'
            f'<p><a href="/mail/{mail.id}/raw">Raw message</a></p>',
        )

    @app.get("/mail/{mail_id}/html")
    def show_html(mail_id: int) -> Response:
        return HTMLResponse(
            find(mail_id).body("html"), headers={"Content-Security-Policy": MAIL_CSP}
        )

    @app.get("/mail/{mail_id}/raw")
    def raw(mail_id: int) -> Response:
        return Response(find(mail_id).message.as_bytes(), media_type="message/rfc822")

    @app.get("/mail/{mail_id}/attachments/{index}")
    def attachment(mail_id: int, index: int) -> Response:
        files = find(mail_id).attachments()
        if not 0 <= index < len(files):
            raise HTTPException(404, "No such attachment.")
        file = files[index]
        return Response(
            file.data,
            media_type=file.content_type,
            headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
        )

    @app.get("/_sandbox/messages")
    def messages() -> JSONResponse:
        return JSONResponse(
            [
                {
                    "id": mail.id,
                    "to": mail.to,
                    "from": mail.sender,
                    "subject": mail.subject,
                    "attachments": [a.filename for a in mail.attachments()],
                }
                for mail in mailbox.all()
            ]
        )

    return app


def run_mail_sandbox(host: str, port: int, smtp_port: int) -> None:
    """Serve the SMTP sink and the mailbox page until interrupted (``sandbox mail``)."""
    mailbox = Mailbox()
    sink = MailSink(mailbox, host, smtp_port)
    sink.start()
    try:
        uvicorn.run(create_mailbox_app(mailbox), host=host, port=port, log_level="info")
    finally:
        sink.stop()
