"""The published OpenAPI document, made to say what the app really answers.

FastAPI documents a 422 ``HTTPValidationError`` on every route with inputs;
our handler answers invalid input with 400 and the one error body instead
(``web/errors.py``), so that entry is replaced by ours.

The document describes the machine interface only: the JSON API under
``/api/``, the webhook intake under ``/webhooks/`` and the outbound webhooks
(``webhooks``, see ``web/webhook_docs.py``). The HTML pages are for
people, change with the design, and would bury the API among forms; they are
left out by path here, so a new page router cannot leak into the reference.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from leadscalendar.web.api_schemas import ErrorBody

VALIDATION_REF = "#/components/schemas/HTTPValidationError"
ERROR_REF = "#/components/schemas/ErrorBody"
INVALID_INPUT = "The request is malformed or a value is out of range."
_REF = "#/components/schemas/{model}"
DOCUMENTED_PREFIXES = ("/api/", "/webhooks/")

_REF_PREFIX = "#/components/schemas/"


def _refs(node: Any) -> set[str]:
    """The names of the component schemas ``node`` refers to, at any depth."""
    if isinstance(node, dict):
        found = (
            {node["$ref"].removeprefix(_REF_PREFIX)} if isinstance(node.get("$ref"), str) else set()
        )
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def _keep_machine_interface(document: dict[str, Any]) -> None:
    """Drop the HTML pages' paths, then the schemas only they used (their form bodies)."""
    paths = document.get("paths", {})
    for path in [p for p in paths if not p.startswith(DOCUMENTED_PREFIXES)]:
        del paths[path]
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    used, todo = set(), _refs(paths) | _refs(document.get("webhooks", {}))
    while todo:
        name = todo.pop()
        if name not in used and name in schemas:
            used.add(name)
            todo |= _refs(schemas[name])
    for name in [n for n in schemas if n not in used]:
        del schemas[name]


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref") == VALIDATION_REF)


def _fix_operation(operation: dict[str, Any], *, json_errors: bool) -> None:
    responses: dict[str, Any] = operation.get("responses", {})
    if _is_fastapi_validation(responses.get("422", {})):
        del responses["422"]
        if not json_errors:
            return  # HTML routes answer bad input with an error page
        responses.setdefault(
            "400",
            {
                "description": INVALID_INPUT,
                "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
            },
        )


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                webhooks=app.webhooks.routes,
            )
            _keep_machine_interface(document)
            for path, path_item in document.get("paths", {}).items():
                for operation in path_item.values():
                    _fix_operation(operation, json_errors=path.startswith("/api/"))
            for path_item in document.get("webhooks", {}).values():
                for operation in path_item.values():
                    # The receiver validates, not us: no error body of ours applies there.
                    operation.get("responses", {}).pop("422", None)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            if "ErrorBody" not in schemas:
                error_schema = ErrorBody.model_json_schema(ref_template=_REF)
                schemas.update(error_schema.pop("$defs", {}))
                schemas["ErrorBody"] = error_schema
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
