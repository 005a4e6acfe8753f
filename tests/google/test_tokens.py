from __future__ import annotations

import logging
from pathlib import Path

import pytest

from leadscalendar.config import Environment, Settings
from leadscalendar.errors import ConfigurationError
from leadscalendar.google.tokens import StoredTokens, TokenCipher, generate_key, load_token_keys


def test_tokens_round_trip_and_the_ciphertext_hides_them() -> None:
    cipher = TokenCipher([generate_key()])
    tokens = StoredTokens("ya29.access-secret", "1//refresh-secret")
    ciphertext = cipher.encrypt_tokens(tokens)
    assert b"access-secret" not in ciphertext
    assert b"refresh-secret" not in ciphertext
    assert cipher.decrypt_tokens(ciphertext) == tokens


def test_rotation_keeps_old_ciphertexts_readable_and_moves_them_to_the_new_key() -> None:
    old_key, new_key = generate_key(), generate_key()
    old_ciphertext = TokenCipher([old_key]).encrypt(b"payload")
    both = TokenCipher([new_key, old_key])
    assert both.decrypt(old_ciphertext) == b"payload"
    rotated = both.rotate(old_ciphertext)
    assert TokenCipher([new_key]).decrypt(rotated) == b"payload"
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        TokenCipher([new_key]).decrypt(old_ciphertext)


def test_tampered_ciphertext_is_refused() -> None:
    cipher = TokenCipher([generate_key()])
    ciphertext = bytearray(cipher.encrypt(b"payload"))
    ciphertext[-5] ^= 1
    with pytest.raises(ConfigurationError):
        cipher.decrypt(bytes(ciphertext))


def test_malformed_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="LEADSCALENDAR_TOKEN_KEYS"):
        TokenCipher(["not-a-fernet-key"])


def test_development_generates_a_private_key_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path, token_keys=[], environment=Environment.DEVELOPMENT)
    with caplog.at_level(logging.WARNING):
        first = load_token_keys(settings)
    second = load_token_keys(settings)
    assert first == second
    assert (tmp_path / "token-key.txt").stat().st_mode & 0o777 == 0o600
    assert "LEADSCALENDAR_TOKEN_KEYS" in caplog.text
    assert first[0] not in caplog.text
