"""The floors the lead-facing benchmarks divide by: bare FastAPI + uvicorn endpoints.

Run by the benchmarks themselves, in a process of its own like ``leadscalendar
serve`` (one uvicorn worker, log level WARNING, no access log):

* ``--kind slots --bodies FILE``: ``GET /api/v1/public/hosts/{host}/types/{type}/slots``
  answers the JSON our server gave for the same path and query (read from FILE,
  a JSON object keyed by path and query), as a plain ``dict`` that FastAPI
  serialises on every request. No database, no middleware, no validation of
  the query: the least a FastAPI endpoint returning that JSON can cost.
* ``--kind webhook --secret S``: ``POST /webhooks/stripe`` reads the body and
  verifies its ``Stripe-Signature`` with the official ``stripe`` package, then
  answers ``{"received": true}``: the least any intake must do.

The benchmark measures this process's CPU (``/proc/<pid>/stat``) over the same
requests it sends to our server, in the same run, so the ratio holds across
machines that differ by 3x in speed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import stripe
import uvicorn
from fastapi import FastAPI, HTTPException, Request


def slots_app(bodies: dict[str, Any]) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/api/v1/public/hosts/{host_slug}/types/{type_slug}/slots")
    def slots(request: Request, host_slug: str, type_slug: str) -> Any:
        key = f"{request.url.path}?{request.url.query}"
        if key not in bodies:
            raise HTTPException(status_code=404)
        return bodies[key]

    return app


def webhook_app(secret: str) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/webhooks/stripe")
    async def stripe_webhook(request: Request) -> dict[str, bool]:
        payload = (await request.body()).decode()
        try:
            stripe.WebhookSignature.verify_header(
                payload, request.headers.get("stripe-signature", ""), secret, tolerance=300
            )
        except stripe.SignatureVerificationError as error:
            raise HTTPException(status_code=400) from error
        return {"received": True}

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=["slots", "webhook"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, default=None)
    parser.add_argument("--secret", default="")
    args = parser.parse_args(argv)
    if args.kind == "slots":
        app = slots_app(json.loads(args.bodies.read_text()))
    else:
        app = webhook_app(args.secret)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
