"""``/metrics`` for Prometheus: behind a bearer token on the app, or on a private listener.

The app serves it only when ``LEADSCALENDAR_METRICS_TOKEN`` is set, and only
to requests carrying that token; otherwise the path does not exist (404), so
an unprotected deployment never exposes its figures. ``leadscalendar metrics``
runs ``create_metrics_app`` on ``LEADSCALENDAR_METRICS_ADDRESS`` instead (one
listener per machine, aggregating every process there in multiprocess mode),
where the bind address is the protection and the token is still asked if set.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException

from leadscalendar.observability import exposition
from leadscalendar.services import Services
from leadscalendar.web.deps import ServicesDep

router = APIRouter()

# Set on the app by create_metrics_app: serve without a token when none is configured.
OPEN_WITHOUT_TOKEN = "metrics_open_without_token"  # noqa: S105 - an attribute name


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, services: ServicesDep) -> Response:
    token = services.settings.metrics_token.get_secret_value()
    if not token and not getattr(request.app.state, OPEN_WITHOUT_TOKEN, False):
        raise HTTPException(status_code=404)
    if token and not exposition.token_matches(request.headers.get("authorization"), token):
        return PlainTextResponse(
            "A valid metrics token is required (Authorization: Bearer <token>).\n",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    registry = exposition.build_registry(
        services.read_session_factory, exposition.multiprocess_dir()
    )
    body, content_type = exposition.render(registry, request.headers.get("accept"))
    return Response(body, headers={"Content-Type": content_type})


def create_metrics_app(services: Services) -> FastAPI:
    """The separate listener: ``/metrics`` and nothing else."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    setattr(app.state, OPEN_WITHOUT_TOKEN, True)
    app.include_router(router)
    return app
