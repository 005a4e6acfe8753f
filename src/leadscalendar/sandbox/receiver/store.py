"""What the receiver got, and what it is told to answer next."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class ScriptedAnswer:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    number: int
    received_at: datetime
    path: str
    headers: dict[str, str]
    body: str
    # None: no secret was configured, so nothing could be checked.
    verified: bool | None
    problem: str
    answered: int

    @property
    def message_id(self) -> str:
        return self.headers.get("webhook-id", "")

    def json(self) -> Any:
        return json.loads(self.body)


class ReceiverStore:
    """Thread-safe: the server's threads write while a page or a test reads."""

    def __init__(self, secret: str | None = None) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._script: deque[ScriptedAnswer] = deque()
        self._default = ScriptedAnswer()
        self.secret = secret

    def answer_next(self, *answers: ScriptedAnswer) -> None:
        """Answer the next requests with these, in order, then with the default again."""
        with self._lock:
            self._script.extend(answers)

    def answer_always(self, answer: ScriptedAnswer) -> None:
        """Answer with this, once the scripted answers are used, until told otherwise."""
        with self._lock:
            self._default = answer

    def reset(self) -> None:
        """Forget everything: received requests, the script, the secret; answer 200."""
        with self._lock:
            self._received.clear()
            self._script.clear()
            self._default = ScriptedAnswer()
            self.secret = None

    def take(
        self, path: str, headers: dict[str, str], body: str
    ) -> tuple[Received, ScriptedAnswer]:
        """Record a request and pick its answer (the script's next, or the default)."""
        verified, problem = self._verify(headers, body)
        with self._lock:
            answer = self._script.popleft() if self._script else self._default
            received = Received(
                number=len(self._received) + 1,
                received_at=datetime.now(UTC),
                path=path,
                headers=headers,
                body=body,
                verified=verified,
                problem=problem,
                answered=answer.status,
            )
            self._received.append(received)
        return received, answer

    def _verify(self, headers: dict[str, str], body: str) -> tuple[bool | None, str]:
        if not self.secret:
            return None, "no secret configured"
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as error:
            return False, str(error)
        except Exception as error:  # malformed headers: the library raises plain errors too
            return False, f"{type(error).__name__}: {error}"
        return True, ""

    def all(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
