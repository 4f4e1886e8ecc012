"""Fernet encryption of connection passwords/extras and variable values at rest.

The key is `CHORDFLOW_FERNET_KEY` (several keys comma-separated: the first encrypts, all
decrypt, so keys can be rotated). Without a key, values are stored unencrypted and a
warning says so, as Airflow does; a value stored encrypted cannot be read without the key.
"""
from __future__ import annotations

import logging

from cluster.errors import ConfigError

log = logging.getLogger("chordflow.crypto")


class NullFernet:
    """Stands in for Fernet when no key is configured: stores values as they are."""

    is_encrypted = False

    def encrypt(self, data: bytes) -> bytes:
        return data

    def decrypt(self, data: bytes) -> bytes:
        raise ConfigError("this value is stored encrypted but CHORDFLOW_FERNET_KEY is not set")


class Crypto:
    """Encrypts and decrypts text with the configured key(s); see the module docstring."""

    def __init__(self, key_text: str = "") -> None:
        keys = [k.strip() for k in (key_text or "").split(",") if k.strip()]
        if keys:
            from cryptography.fernet import Fernet, MultiFernet

            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
            self.is_encrypted = True
        else:
            self._fernet = NullFernet()  # type: ignore[assignment]
            self.is_encrypted = False

    def encrypt(self, text: str | None) -> tuple[str | None, bool]:
        """The stored form of `text` and whether it is encrypted."""
        if text is None:
            return None, False
        if not self.is_encrypted:
            log.warning("CHORDFLOW_FERNET_KEY is not set: the value is stored unencrypted")
            return text, False
        return self._fernet.encrypt(text.encode()).decode(), True

    def decrypt(self, stored: str | None, encrypted: bool) -> str | None:
        if stored is None or not encrypted:
            return stored
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise ConfigError("cannot decrypt a stored secret: CHORDFLOW_FERNET_KEY is not the "
                              "key it was encrypted with") from None
