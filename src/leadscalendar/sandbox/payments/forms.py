"""Stripe's form encoding: ``a[b][0][c]=v`` pairs into nested dicts and lists."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl


class FormError(ValueError):
    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def parse_stripe_form(body: bytes) -> dict[str, Any]:
    """Decode a ``application/x-www-form-urlencoded`` body the way Stripe's API does."""
    root: dict[str, Any] = {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FormError("Request body is not valid UTF-8.", "body") from None
    for key, value in parse_qsl(text, keep_blank_values=True):
        path = _split_key(key)
        node = root
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise FormError(f"Invalid nesting for parameter: {key}", key)
            node = child
        leaf = path[-1]
        if leaf == "":  # ``expand[]=a&expand[]=b``
            leaf = str(len(node))
        node[leaf] = value
    converted = _lists(root)
    assert isinstance(converted, dict)
    return converted


def _split_key(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    parts = [head]
    while rest:
        part, _, rest = rest.partition("]")
        parts.append(part)
        rest = rest.removeprefix("[")
    return parts


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def fingerprint(body: bytes) -> tuple[tuple[str, str], ...]:
    """Order-insensitive identity of a request's parameters, for idempotency checks."""
    return tuple(sorted(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)))
