"""Tokens at rest: authenticated encryption with rotatable keys (MultiFernet).

The first key encrypts; every key decrypts, so a new key can be put in front
and old ciphertexts re-encrypted at leisure with ``leadscalendar keys rotate``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from leadscalendar.config import Environment, Settings
from leadscalendar.errors import ConfigurationError

logger = logging.getLogger(__name__)

DEV_KEY_FILE = "token-key.txt"


@dataclass(frozen=True)
class StoredTokens:
    access_token: str
    refresh_token: str | None


class TokenCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigurationError("At least one token key is required.")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except ValueError:
            raise ConfigurationError(
                "LEADSCALENDAR_TOKEN_KEYS: each key must be 32 url-safe base64-encoded "
                "bytes (make one with `leadscalendar keys generate`)."
            ) from None

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return self._fernet.decrypt(ciphertext)
        except InvalidToken:
            raise ConfigurationError(
                "A stored token cannot be decrypted with any configured key; "
                "was a key removed from LEADSCALENDAR_TOKEN_KEYS before rotation?"
            ) from None

    def rotate(self, ciphertext: bytes) -> bytes:
        """Re-encrypt under the first key (a no-op in meaning, new bytes in fact)."""
        return self._fernet.rotate(ciphertext)

    def encrypt_tokens(self, tokens: StoredTokens) -> bytes:
        payload = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token}
        return self.encrypt(json.dumps(payload).encode())

    def decrypt_tokens(self, ciphertext: bytes) -> StoredTokens:
        payload = json.loads(self.decrypt(ciphertext))
        return StoredTokens(payload["access_token"], payload.get("refresh_token"))


def generate_key() -> str:
    return Fernet.generate_key().decode()


def load_token_keys(settings: Settings) -> list[str]:
    """The configured keys; in development, a key generated once into the data directory."""
    if settings.token_keys:
        return settings.token_keys
    if settings.environment is Environment.PRODUCTION:
        raise ConfigurationError("LEADSCALENDAR_TOKEN_KEYS must be set in production.")
    key_file = settings.data_dir / DEV_KEY_FILE
    if not key_file.exists():
        _write_private(key_file, generate_key())
        logger.warning(
            "No LEADSCALENDAR_TOKEN_KEYS set: generated a development key in %s. "
            "Set LEADSCALENDAR_TOKEN_KEYS in production.",
            key_file,
        )
    return [key_file.read_text().strip()]


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(content + "\n")
