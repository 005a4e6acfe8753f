"""Consents, authorization codes, grants and tokens, in memory.

Every token points at the grant it came from and validity is always decided by
looking the grant up, so revoking a grant (through ``/revoke`` or the control
API, as a user removing access in their Google account) kills every access and
refresh token issued under it at once.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

CODE_LIFETIME_SECONDS = 600
PENDING_LIFETIME_SECONDS = 3600

# Google always grants these when asked and shows no checkbox for them.
ALWAYS_GRANTED = frozenset(
    {
        "openid",
        "email",
        "profile",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
    }
)
# Google answers with the long form of the short identity scopes.
SCOPE_ALIASES = {
    "email": "https://www.googleapis.com/auth/userinfo.email",
    "profile": "https://www.googleapis.com/auth/userinfo.profile",
}


def normalise_scopes(scopes: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    return frozenset(SCOPE_ALIASES.get(scope, scope) for scope in scopes)


def subject_id(email: str) -> str:
    """A stable numeric ``sub`` per account, shaped like Google's 21-digit ids."""
    digest = int.from_bytes(hashlib.sha256(email.lower().encode()).digest()[:9], "big")
    return str(10**20 + digest % (9 * 10**20))


@dataclass
class PendingConsent:
    """A validated authorization request waiting for the user's decision."""

    id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    access_type: str
    prompt: str | None
    include_granted_scopes: bool
    login_hint: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float


@dataclass
class Grant:
    id: str
    client_id: str
    account_email: str
    scopes: frozenset[str]
    offline: bool
    created: datetime
    revoked: bool = False

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id,
            "client_id": self.client_id,
            "account_email": self.account_email,
            "scopes": sorted(self.scopes),
            "access_type": "offline" if self.offline else "online",
            "revoked": self.revoked,
            "created": self.created.isoformat().replace("+00:00", "Z"),
        }


@dataclass
class AuthCode:
    code: str
    grant_id: str
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    grant_id: str
    expires_at: float


@dataclass(frozen=True)
class TokenFailure:
    """An OAuth error answer: status, ``error`` code and Google's description."""

    status: int
    error: str
    description: str


@dataclass(frozen=True)
class TokenView:
    """A live access token as the API layer sees it."""

    token: str
    grant_id: str
    client_id: str
    account_email: str
    scopes: frozenset[str]
    expires_in: int
    offline: bool


class GrantStore:
    """Thread-safe: uvicorn serves requests concurrently and tests poke it directly."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._pending: dict[str, PendingConsent] = {}
            self._codes: dict[str, AuthCode] = {}
            self._grants: dict[str, Grant] = {}
            self._access: dict[str, AccessToken] = {}
            self._refresh: dict[str, str] = {}  # refresh token -> grant id

    # -- consent -----------------------------------------------------------------

    def add_pending(self, pending: PendingConsent) -> None:
        with self._lock:
            self._pending[pending.id] = pending

    def new_pending_id(self) -> str:
        return secrets.token_urlsafe(16)

    def pending_expiry(self) -> float:
        return self._clock() + PENDING_LIFETIME_SECONDS

    def take_pending(self, pending_id: str) -> PendingConsent | None:
        """Pop the request: a consent form can be answered once only."""
        with self._lock:
            pending = self._pending.pop(pending_id, None)
        if pending is None or pending.expires_at < self._clock():
            return None
        return pending

    def previous_scopes(self, client_id: str, account_email: str) -> frozenset[str]:
        """Scopes of live grants to this client: the base of incremental authorization."""
        with self._lock:
            scopes: set[str] = set()
            for grant in self._grants.values():
                if (
                    not grant.revoked
                    and grant.client_id == client_id
                    and grant.account_email == account_email
                ):
                    scopes |= grant.scopes
            return frozenset(scopes)

    def create_grant(
        self,
        pending: PendingConsent,
        account_email: str,
        scopes: frozenset[str],
    ) -> AuthCode:
        """Record the consent and issue the one authorization code for it."""
        with self._lock:
            grant = Grant(
                id="grant-" + secrets.token_hex(8),
                client_id=pending.client_id,
                account_email=account_email,
                scopes=scopes,
                offline=pending.access_type == "offline",
                created=datetime.fromtimestamp(self._clock(), UTC),
            )
            self._grants[grant.id] = grant
            code = AuthCode(
                code="4/0" + secrets.token_urlsafe(32),
                grant_id=grant.id,
                redirect_uri=pending.redirect_uri,
                code_challenge=pending.code_challenge,
                code_challenge_method=pending.code_challenge_method,
                expires_at=self._clock() + CODE_LIFETIME_SECONDS,
            )
            self._codes[code.code] = code
            return code

    # -- codes and tokens --------------------------------------------------------

    def redeem_code(
        self, code: str, check: Callable[[AuthCode], TokenFailure | None]
    ) -> tuple[AuthCode, Grant] | TokenFailure:
        """Validate then consume a code; on reuse revoke what it issued, as Google does.

        ``check`` (redirect URI, PKCE) runs before the code is consumed so a client
        that sent a wrong parameter can still correct it.
        """
        bad = TokenFailure(400, "invalid_grant", "Bad Request")
        with self._lock:
            found = self._codes.get(code)
            if found is None:
                return TokenFailure(400, "invalid_grant", "Malformed auth code.")
            grant = self._grants[found.grant_id]
            if found.used:
                grant.revoked = True
                return bad
            if found.expires_at < self._clock() or grant.revoked:
                return bad
            failure = check(found)
            if failure is not None:
                return failure
            found.used = True
            return found, grant

    def issue_tokens(self, grant_id: str, lifetime: int) -> tuple[TokenView, str | None]:
        """A new access token, plus a refresh token when the grant is offline."""
        with self._lock:
            grant = self._grants[grant_id]
            access = self._new_access(grant, lifetime)
            refresh: str | None = None
            if grant.offline:
                refresh = "1//0" + secrets.token_urlsafe(48)
                self._refresh[refresh] = grant.id
            return self._view(access, grant), refresh

    def refresh(self, refresh_token: str, lifetime: int) -> TokenView | None:
        with self._lock:
            grant_id = self._refresh.get(refresh_token)
            grant = self._grants.get(grant_id) if grant_id else None
            if grant is None or grant.revoked:
                return None
            return self._view(self._new_access(grant, lifetime), grant)

    def refresh_token_client(self, refresh_token: str) -> str | None:
        with self._lock:
            grant_id = self._refresh.get(refresh_token)
            return self._grants[grant_id].client_id if grant_id else None

    def lookup_access(self, token: str) -> TokenView | None:
        """The live token, or None when unknown, expired or its grant revoked."""
        with self._lock:
            access = self._access.get(token)
            if access is None:
                return None
            grant = self._grants[access.grant_id]
            if grant.revoked or access.expires_at <= self._clock():
                return None
            return self._view(access, grant)

    def revoke_token(self, token: str) -> bool:
        """Revoke the grant behind an access or refresh token; False if unknown or dead."""
        with self._lock:
            grant_id = self._refresh.get(token)
            if grant_id is None:
                access = self._access.get(token)
                if access is None or access.expires_at <= self._clock():
                    return False
                grant_id = access.grant_id
            grant = self._grants[grant_id]
            if grant.revoked:
                return False
            grant.revoked = True
            return True

    # -- control -----------------------------------------------------------------

    def grants(self) -> list[Grant]:
        with self._lock:
            return sorted(self._grants.values(), key=lambda grant: grant.created)

    def revoke_grant(self, grant_id: str) -> Grant | None:
        with self._lock:
            grant = self._grants.get(grant_id)
            if grant is not None:
                grant.revoked = True
            return grant

    def revoke_all(self) -> int:
        with self._lock:
            live = [grant for grant in self._grants.values() if not grant.revoked]
            for grant in live:
                grant.revoked = True
            return len(live)

    def expire_access_tokens(self) -> int:
        with self._lock:
            now = self._clock()
            live = [token for token in self._access.values() if token.expires_at > now]
            for token in live:
                token.expires_at = now
            return len(live)

    # -- helpers (caller holds the lock) ----------------------------------------

    def _new_access(self, grant: Grant, lifetime: int) -> AccessToken:
        access = AccessToken(
            token="ya29.a0" + secrets.token_urlsafe(48),
            grant_id=grant.id,
            expires_at=self._clock() + lifetime,
        )
        self._access[access.token] = access
        return access

    def _view(self, access: AccessToken, grant: Grant) -> TokenView:
        return TokenView(
            token=access.token,
            grant_id=grant.id,
            client_id=grant.client_id,
            account_email=grant.account_email,
            scopes=grant.scopes,
            expires_in=max(0, math.ceil(access.expires_at - self._clock())),
            offline=grant.offline,
        )
