"""The hosted checkout page a lead is redirected to: Pay, Decline or Abandon.

Plain HTML forms, so a real browser (Playwright) and a bare HTTP client can
both drive it. Like Stripe Checkout, a declined card emits no webhook and the
lead may try again; abandoning returns to ``cancel_url`` and leaves the session
open until it expires.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from leadscalendar.sandbox.payments.store import JSON, SandboxStateError

router = APIRouter()

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox checkout</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
.notice{{padding:.75rem;border-radius:.5rem;background:#fdecea;color:#8a1c13}}
form{{display:inline}} button{{margin:.25rem;padding:.5rem 1rem;font-size:1rem}}</style>
</head><body>
<p><strong>Payments sandbox</strong> &mdash; no real money moves here.</p>
{body}
</body></html>"""


def _sandbox(request: Request) -> PaymentsSandbox:
    sandbox: PaymentsSandbox = request.app.state.payments_sandbox
    return sandbox


def _amount(session: JSON) -> str:
    total = session["amount_total"]
    return f"{total // 100}.{total % 100:02d} {str(session['currency']).upper()}"


def _page(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(body=body), status_code=status_code)


def _checkout_form(session: JSON, names: list[str], notice: str | None = None) -> HTMLResponse:
    session_id = escape(session["id"])
    lines = "".join(f"<li>{escape(name)}</li>" for name in names)
    warning = f'<p class="notice" id="notice">{escape(notice)}</p>' if notice else ""
    email = escape(session.get("customer_email") or "")
    buttons = "".join(
        f'<form method="post" action="/checkout/{session_id}/{action}">'
        f'<button type="submit" id="{action}">{label}</button></form>'
        for action, label in (
            ("pay", f"Pay {escape(_amount(session))}"),
            ("decline", "Pay with a card that is declined"),
            ("abandon", "Back (abandon checkout)"),
        )
    )
    body = (
        f"<h1>Pay {escape(_amount(session))}</h1><ul>{lines}</ul>"
        f'<p>Email: <span id="email">{email}</span></p>{warning}{buttons}'
    )
    return _page(body)


def success_redirect(session: JSON) -> str:
    # Stripe substitutes this literal template in success_url.
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])


@router.get("/checkout/{session_id}")
def checkout_page(request: Request, session_id: str) -> Response:
    try:
        record = _sandbox(request).store.session(session_id)
    except SandboxStateError:
        return _page("<h1>Checkout not found</h1>", status_code=404)
    session = record.obj
    if session["status"] == "expired":
        return _page('<h1 id="expired">This checkout session has expired.</h1>', 410)
    if session["status"] == "complete":
        link = escape(success_redirect(session))
        return _page(f'<h1 id="complete">Already paid.</h1><p><a href="{link}">Continue</a></p>')
    return _checkout_form(session, [item["description"] for item in record.line_items])


@router.post("/checkout/{session_id}/pay")
def pay(request: Request, session_id: str) -> Response:
    try:
        session = _sandbox(request).store.pay(session_id)
    except SandboxStateError as exc:
        return _page(f'<h1 id="error">{escape(exc.message)}</h1>', status_code=409)
    return RedirectResponse(success_redirect(session), status_code=303)


@router.post("/checkout/{session_id}/decline")
def decline(request: Request, session_id: str) -> Response:
    store = _sandbox(request).store
    try:
        session = store.decline(session_id)
        names = [item["description"] for item in store.session(session_id).line_items]
    except SandboxStateError as exc:
        return _page(f'<h1 id="error">{escape(exc.message)}</h1>', status_code=409)
    return _checkout_form(session, names, notice="Your card was declined. Try another card.")


@router.post("/checkout/{session_id}/abandon")
def abandon(request: Request, session_id: str) -> Response:
    try:
        session = _sandbox(request).store.session(session_id).obj
    except SandboxStateError:
        return _page("<h1>Checkout not found</h1>", status_code=404)
    return RedirectResponse(session.get("cancel_url") or "/", status_code=303)
